import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { push, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { rawHandshake, TestListener } from '../helpers/tunnel-listener.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

const API_KEY = 'relay-key-0123456789';
const ALICE_KEY = 'alice-key-0123456789';
const auth = { authorization: `Bearer ${API_KEY}` };

describe('dev tunnel: bad input', () => {
  let relay: TestRelay;
  let local: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_API_KEYS: API_KEY, RELAY_TUNNEL_KEYS: `alice:${ALICE_KEY}`, RELAY_ATTEMPT_TIMEOUT_MS: '1500' });
    local = await BusinessServer.start((request, _index, response) => {
      if (request.path.startsWith('/hang')) return 'hang';
      if (request.path === '/huge') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        // 8 MiB of answer: the listener keeps the start and drops the rest.
        const chunk = Buffer.alloc(64 * 1024, 'x');
        for (let i = 0; i < 128; i += 1) response.write(chunk);
        response.end();
        return 'handled';
      }
      return 200;
    });
  });
  afterAll(async () => {
    await relay.close();
    await local.stop();
  });

  const tunnelUrl = (name: string) => `${relay.url}/api/tunnel/${name}`;
  const trace = async (traceId: string) => (await send('GET', `${relay.url}/api/moderate/trace/${traceId}`, undefined, auth)).body;
  const registerAndPush = async (traceId: string, serverUri: string) => {
    expect((await send('POST', `${relay.url}/api/moderate/trace`, { trace_id: traceId, server_uri: serverUri }, auth)).status).toBe(201);
    expect((await push(relay, mediaCheckJson(traceId))).text).toBe('success');
  };

  it('refuses a listener without a valid key, or with a key for another name, before anything is sent', async () => {
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['alice', {}, 401, 'UNAUTHORIZED'],
      ['alice', { authorization: 'Bearer not-a-key-at-all' }, 401, 'UNAUTHORIZED'],
      ['alice', { authorization: `Basic ${ALICE_KEY}` }, 401, 'UNAUTHORIZED'],
      ['bob', { authorization: `Bearer ${ALICE_KEY}` }, 403, 'TUNNEL_NAME_FORBIDDEN'],
      ['Bob_1', { authorization: `Bearer ${API_KEY}` }, 400, 'INVALID_TUNNEL_NAME'],
    ];
    for (const [name, headers, status, code] of cases) {
      const answer = await rawHandshake(tunnelUrl(name), headers);
      expect('status' in answer ? [answer.status, answer.body.error.code] : 'opened', `${name} ${JSON.stringify(headers)}`).toEqual([status, code]);
      expect(answer.messages).toEqual([]);
    }
    const plain = await send('GET', tunnelUrl('alice'), undefined, { authorization: `Bearer ${ALICE_KEY}` });
    expect([plain.status, plain.body.error.code]).toEqual([426, 'UPGRADE_REQUIRED']);
    // The scoped key opens its own name; an API key opens any.
    for (const key of [ALICE_KEY, API_KEY]) {
      const opened = await rawHandshake(tunnelUrl('alice'), { authorization: `Bearer ${key}` });
      expect('socket' in opened).toBe(true);
      if ('socket' in opened) opened.socket.close();
    }
  });

  it('stops the CLI with the reason instead of retrying a wrong key forever', async () => {
    const listener = new TestListener(relay.url, 'alice', local.url, 'wrong-key-0123456789');
    expect(await listener.exited).toBe(1);
    expect(listener.events).toEqual([{ kind: 'refused', status: 401, code: 'UNAUTHORIZED', message: 'the API key is not valid' }]);
  });

  it('closes only the connection that sends a malformed frame', async () => {
    const good = await TestListener.connect(relay.url, 'mal', `${local.url}/mal`, API_KEY);
    try {
      const frames: Array<[string, (socket: WebSocket) => void, number]> = [
        ['not json', (socket) => socket.send('{oops'), 1007],
        ['wrong shape', (socket) => socket.send(JSON.stringify({ type: 'result', id: 'x', status: 'ok' })), 1007],
        ['binary', (socket) => socket.send(Buffer.from([1, 2, 3])), 1007],
        ['too big', (socket) => socket.send('x'.repeat(200 * 1024)), 1009],
      ];
      for (const [what, sendBad, expected] of frames) {
        const opened = await rawHandshake(tunnelUrl('mal'), auth);
        if (!('socket' in opened)) throw new Error('handshake refused');
        const closed = new Promise<number>((resolve) => opened.socket.on('close', (code) => resolve(code)));
        await waitFor(() => opened.messages.length > 0, { what: 'ready frame' });
        sendBad(opened.socket);
        expect(await closed, what).toBe(expected);
      }
      // An answer to an attempt the relay does not know is not malformed: ignored, connection kept.
      const stray = await rawHandshake(tunnelUrl('mal2'), auth);
      if (!('socket' in stray)) throw new Error('handshake refused');
      stray.socket.send(JSON.stringify({ type: 'result', id: 'unknown', status: 200, durationMs: 1, excerpt: null, failure: null }));
      await registerAndPush('mal-after', 'tunnel://mal');
      await waitFor(async () => (await trace('mal-after')).status === 'delivered', { what: 'delivery through the well-behaved listener' });
      expect(stray.socket.readyState).toBe(WebSocket.OPEN);
      stray.socket.close();
    } finally {
      good.stop();
    }
  });

  it('cuts a hanging local server at the attempt timeout and records it', async () => {
    const listener = await TestListener.connect(relay.url, 'hang', `${local.url}/hang`, API_KEY);
    try {
      await registerAndPush('hang-1', 'tunnel://hang');
      const detail = await waitFor(async () => {
        const body = await trace('hang-1');
        return body.attempts.length > 0 ? body : undefined;
      }, { what: 'the first attempt recorded' });
      expect(detail.attempts[0].outcome).toBe('timeout');
      expect(detail.attempts[0].error).toMatch(/did not answer/);
      expect(detail.attempts[0].duration_ms).toBeLessThan(3000);
      expect(['delivering', 'failed']).toContain(detail.status);
    } finally {
      listener.stop();
    }
  });

  it('keeps only the start of a huge local response', async () => {
    const listener = await TestListener.connect(relay.url, 'huge', `${local.url}/huge`, API_KEY);
    try {
      await registerAndPush('huge-1', 'tunnel://huge');
      const detail = await waitFor(async () => {
        const body = await trace('huge-1');
        return body.status === 'delivered' ? body : undefined;
      }, { what: 'huge-1 delivered' });
      expect(detail.attempts[0]).toMatchObject({ http_status: 200, outcome: 'success' });
      expect(Buffer.byteLength(detail.attempts[0].response_excerpt)).toBeLessThanOrEqual(1024);
      expect(detail.attempts[0].response_excerpt).toMatch(/^x+$/);
    } finally {
      listener.stop();
    }
  });

  it('counts the delivery in flight at Ctrl-C as not acknowledged and sends it again', async () => {
    const first = await TestListener.connect(relay.url, 'ctrlc', `${local.url}/hang-ctrlc`, API_KEY);
    await registerAndPush('ctrlc-1', 'tunnel://ctrlc');
    await waitFor(() => local.requests.some((item) => item.path === '/hang-ctrlc'), { what: 'the attempt at the local server' });
    first.stop();
    expect(await first.exited).toBe(0);
    const detail = await waitFor(async () => {
      const body = await trace('ctrlc-1');
      return body.attempts.length > 0 ? body : undefined;
    }, { what: 'the interrupted attempt recorded' });
    expect(detail.attempts[0]).toMatchObject({ outcome: 'network_error', http_status: null });
    expect(detail.attempts[0].error).toMatch(/disconnected before answering/);
    const second = await TestListener.connect(relay.url, 'ctrlc', `${local.url}/ok`, API_KEY);
    try {
      await waitFor(async () => (await trace('ctrlc-1')).status === 'delivered', { what: 'ctrlc-1 delivered on reconnect' });
      expect((await trace('ctrlc-1')).attempts.map((item: { attempt: number }) => item.attempt)).toEqual([1, 2]);
    } finally {
      second.stop();
    }
  });
});

describe('dev tunnel: a wait with no listener ends', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_TUNNEL_MAX_WAIT_S: '1', RELAY_RETRY_SCHEDULE: '100ms,100ms' });
  });
  afterAll(async () => {
    await relay.close();
  });

  it('attempts and fails a delivery nobody picked up within RELAY_TUNNEL_MAX_WAIT_S', async () => {
    expect((await send('POST', `${relay.url}/api/moderate/trace`, { trace_id: 'nobody-1', server_uri: 'tunnel://nobody' })).status).toBe(201);
    expect((await push(relay, mediaCheckJson('nobody-1'))).text).toBe('success');
    const detail = await waitFor(async () => {
      const body = (await send('GET', `${relay.url}/api/moderate/trace/nobody-1`)).body;
      return body.status === 'failed' ? body : undefined;
    }, { what: 'nobody-1 failed', timeoutMs: 15_000 });
    expect(detail.error).toBe('BIZ_SERVER_ERROR');
    expect(detail.attempts).toHaveLength(3);
    expect(detail.attempts[0].error).toMatch(/no listener is connected to tunnel nobody/);
    expect(Date.parse(detail.attempts[0].at) - Date.parse(detail.created_at)).toBeGreaterThanOrEqual(900);
  });
});

describe('dev tunnel: an instance without the delivery worker', () => {
  it('refuses listeners, since it could not carry their deliveries', async () => {
    const apiOnly = await startRelay({ RELAY_ROLES: 'api' });
    try {
      const answer = await rawHandshake(`${apiOnly.url}/api/tunnel/alice`);
      expect('status' in answer ? [answer.status, answer.body.error.code] : 'opened').toEqual([404, 'NOT_FOUND']);
    } finally {
      await apiOnly.close();
    }
  });
});
