import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { CliProcess } from '../helpers/cli-process.ts';
import { RelayProcess } from '../helpers/relay-process.ts';
import { send } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson, mediaCheckXml } from '../helpers/wechat-signer.ts';

const KEY = 'e2e-tunnel-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };
const RECORDING_SERVER = fileURLToPath(new URL('../helpers/recording-server.ts', import.meta.url));

interface Recorded { method: string; url: string; headers: Record<string, string>; bodyBase64: string }

/** A port that was free a moment ago, so a restarted relay comes back at the same address. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Three real processes: the relay (bin/callback-relay.js start), `callback-relay
 * listen`, and a local HTTP server; WeChat and the business servers are this test.
 */
describe('callback-relay listen end to end', () => {
  let dir: string;
  let port: number;
  let relay: RelayProcess;
  let localServer: CliProcess;
  let localUrl: string;
  let direct: BusinessServer;
  const relayEnv = () => ({
    DATABASE_URL: `sqlite:${join(dir, 'relay.db')}`,
    PORT: String(port),
    RELAY_API_KEYS: KEY,
    RELAY_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms',
    RELAY_ATTEMPT_TIMEOUT_MS: '2000',
  });
  const startListen = () => CliProcess.relayCli(['listen', '--relay', relay.url, '--name', 'alice', '--forward-to', `${localUrl}/wx`, '--key', KEY]);
  const received = async (): Promise<Recorded[]> => (await send('GET', `${localUrl}/__requests`)).body;
  const trace = async (traceId: string) => (await send('GET', `${relay.url}/api/moderate/trace/${traceId}`, undefined, auth)).body;
  const registerTrace = async (traceId: string, serverUri: string) =>
    expect((await send('POST', `${relay.url}/api/moderate/trace`, { trace_id: traceId, server_uri: serverUri }, auth)).status).toBe(201);
  const pushBody = async (body: string, contentType: string) =>
    expect((await send('POST', `${relay.url}/api/wechat`, body, { 'content-type': contentType })).text).toBe('success');
  const delivered = (traceId: string) => waitFor(async () => (await trace(traceId)).status === 'delivered', { timeoutMs: 20_000, what: `${traceId} delivered` });
  const bodyOf = (requests: Recorded[], traceId: string) => {
    const found = requests.filter((item) => item.headers['x-relay-trace-id'] === traceId);
    return found.map((item) => Buffer.from(item.bodyBase64, 'base64'));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-tunnel-e2e-'));
    port = await freePort();
    direct = await BusinessServer.start();
    localServer = new CliProcess([RECORDING_SERVER]);
    const announced = await localServer.waitForLine(/"port"/);
    localUrl = `http://127.0.0.1:${(JSON.parse(announced) as { port: number }).port}`;
    relay = new RelayProcess(relayEnv());
    await relay.start();
  });
  afterAll(async () => {
    await relay?.terminate();
    await localServer?.signal('SIGTERM');
    await direct?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const json = '{"ToUserName":"gh_9df7d78a1234" ,  "MsgType" : "event","Event":"wxa_media_check",\n  "trace_id":"tun-json-1", "result":{"suggest":"risky" , "label":20001},\t"note":"含有违规内容 — «ünïcödé» 😀" }';

  it('delivers the tunnel\'s traces byte for byte, keeps them while listen is stopped, and never sends it other traces', async () => {
    let listen = startListen();
    await listen.waitForLine(/connected to ws:\/\/.*\/api\/tunnel\/alice/);

    await registerTrace('tun-xml-1', 'tunnel://alice');
    await registerTrace('tun-json-1', 'tunnel://alice/json');
    await registerTrace('other-http-1', `${direct.url}/other`);
    await registerTrace('other-tunnel-1', 'tunnel://bob');
    await pushBody(mediaCheckXml('tun-xml-1'), 'text/xml');
    await pushBody(json, 'application/json');
    await pushBody(mediaCheckJson('other-http-1'), 'application/json');
    await pushBody(mediaCheckJson('other-tunnel-1'), 'application/json');
    await delivered('tun-xml-1');
    await delivered('tun-json-1');
    await delivered('other-http-1');

    let requests = await received();
    expect(bodyOf(requests, 'tun-xml-1')).toEqual([Buffer.from(mediaCheckXml('tun-xml-1'), 'utf8')]);
    expect(bodyOf(requests, 'tun-json-1')).toEqual([Buffer.from(json, 'utf8')]);
    expect(requests.find((item) => item.headers['x-relay-trace-id'] === 'tun-json-1')).toMatchObject({
      method: 'POST', url: '/wx/json', headers: { 'content-type': 'application/json', 'x-relay-event': 'callback.received', 'x-relay-attempt': '1' },
    });
    expect(requests.find((item) => item.headers['x-relay-trace-id'] === 'tun-xml-1')?.headers['content-type']).toMatch(/xml/);
    await listen.waitForLine(/tun-json-1 {2}attempt 1 {2}callback\.received {2}→ 200 {2}\d+ ms/);
    expect((await trace('tun-json-1')).attempts[0]).toMatchObject({ http_status: 200, outcome: 'success', response_excerpt: 'ok from local' });

    // Ctrl-C, then pushes arrive while nobody listens.
    expect(await listen.signal('SIGINT')).toBe(0);
    await registerTrace('tun-json-2', 'tunnel://alice');
    await registerTrace('tun-xml-2', 'tunnel://alice');
    await pushBody('{"trace_id":"tun-json-2","MsgType":"event","Event":"wxa_media_check","x":"二"}', 'application/json');
    await pushBody(mediaCheckXml('tun-xml-2'), 'text/xml');
    expect((await trace('tun-json-2')).attempts).toEqual([]);
    listen = startListen();
    try {
      await delivered('tun-json-2');
      await delivered('tun-xml-2');
      requests = await received();
      expect(bodyOf(requests, 'tun-json-2')).toEqual([Buffer.from('{"trace_id":"tun-json-2","MsgType":"event","Event":"wxa_media_check","x":"二"}', 'utf8')]);
      expect(bodyOf(requests, 'tun-xml-2')).toEqual([Buffer.from(mediaCheckXml('tun-xml-2'), 'utf8')]);
      // In the order they were pushed.
      const order = requests.map((item) => item.headers['x-relay-trace-id']).filter((id) => id === 'tun-json-2' || id === 'tun-xml-2');
      expect(order).toEqual(['tun-json-2', 'tun-xml-2']);
      // Other trace ids never reached the tunnel.
      expect(requests.some((item) => String(item.headers['x-relay-trace-id']).startsWith('other-'))).toBe(false);
      expect(direct.requests.map((item) => item.headers['x-relay-trace-id'])).toEqual(['other-http-1']);
      expect((await trace('other-tunnel-1')).attempts).toEqual([]);
    } finally {
      expect(await listen.signal('SIGINT')).toBe(0);
    }
  });

  it('retries a delivery that was in flight when the relay was killed, over the listener that reconnected by itself', async () => {
    const listen = CliProcess.relayCli(['listen', '--relay', relay.url, '--name', 'dora', '--forward-to', `${localUrl}/hang-once`, '--key', KEY]);
    try {
      await listen.waitForLine(/connected to/);
      await registerTrace('restart-1', 'tunnel://dora');
      await pushBody(mediaCheckJson('restart-1'), 'application/json');
      await waitFor(async () => (await received()).some((item) => item.url === '/hang-once'), { what: 'the attempt at the local server' });
      await relay.kill();
      await listen.waitForLine(/disconnected: .*reconnecting in/);
      relay = new RelayProcess(relayEnv());
      await relay.start();
      await listen.waitForLine(/connected to/, 2);
      await delivered('restart-1');
      const detail = await trace('restart-1');
      // The killed relay never recorded attempt 1; attempt 2 came through after its lease ran out.
      expect(detail.deliveries[0].attempt_count).toBe(2);
      expect(detail.attempts.map((item: { attempt: number; http_status: number }) => [item.attempt, item.http_status])).toEqual([[2, 200]]);
      expect(bodyOf(await received(), 'restart-1')).toHaveLength(2);
    } finally {
      await listen.signal('SIGINT');
    }
  });

  it('exits with the reason when the relay refuses the key, and with usage on bad arguments', async () => {
    const refused = CliProcess.relayCli(['listen', '--relay', relay.url, '--name', 'alice', '--forward-to', `${localUrl}/wx`, '--key', 'wrong-key-0123456789']);
    expect(await refused.exited).toBe(1);
    expect(refused.lines.join('\n')).toMatch(/refused by the relay: 401 UNAUTHORIZED: the API key is not valid/);
    const noKey = CliProcess.relayCli(['listen', '--relay', relay.url, '--name', 'alice', '--forward-to', `${localUrl}/wx`], { RELAY_API_KEY: '', CALLBACK_RELAY_KEY: '' });
    expect(await noKey.exited).toBe(1);
    expect(noKey.lines.join('\n')).toMatch(/401 UNAUTHORIZED/);
    const badName = CliProcess.relayCli(['listen', '--name', 'Alice!', '--forward-to', `${localUrl}/wx`]);
    expect(await badName.exited).toBe(2);
    expect(badName.lines.join('\n')).toMatch(/--name must be/);
  });
});
