import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { countRows } from '../helpers/test-backends.ts';
import { waitFor } from '../helpers/wait-for.ts';

const HMAC_SECRET = 'hmac-secret-of-the-provider';
const TENCENT_SEED = 'tencent-callback-seed';
const DOUYIN_SECRET = 'douyin-app-secret';
const SW_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

const SOURCES = [
  { name: 'shop', kind: 'hmac', idPath: 'order.id', secret: HMAC_SECRET, header: 'x-shop-signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' },
  { name: 'tcloud', kind: 'tencent-cloud', idPath: 'data.TaskId', seed: TENCENT_SEED },
  { name: 'douyin-app', kind: 'douyin', idPath: 'content.task_id', secret: DOUYIN_SECRET },
  { name: 'events', kind: 'standard-webhooks', idPath: 'data.result.0.job', secret: SW_SECRET },
];

/** Signatures made by openssl, a second route that shares no code with the relay's check. */
function openssl(args: string[], input: Buffer): string {
  return execFileSync('openssl', ['dgst', ...args], { input }).toString('utf8').trim().split(/\s+/).at(-1)!;
}
const hmacHex = (body: string) => `sha256=${openssl(['-sha256', '-hmac', HMAC_SECRET], Buffer.from(body))}`;
const keyedDigest = (algorithm: string, secret: string, body: string) => openssl([`-${algorithm}`], Buffer.concat([Buffer.from(secret), Buffer.from(body)]));

function signedPush(source: string, body: string): Record<string, string> {
  if (source === 'shop') return { 'x-shop-signature': hmacHex(body) };
  if (source === 'tcloud') return { 'x-signature': keyedDigest('sha256', TENCENT_SEED, body) };
  if (source === 'douyin-app') return { 'x-douyin-signature': keyedDigest('sha1', DOUYIN_SECRET, body) };
  const id = `msg_${randomBytes(6).toString('hex')}`;
  const timestamp = new Date();
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': new Webhook(SW_SECRET).sign(id, timestamp, body) };
}

const bodies: Record<string, (id: string) => string> = {
  'shop': (id) => JSON.stringify({ order: { id, state: 'paid' }, note: '审核通过' }),
  'tcloud': (id) => JSON.stringify({ code: 0, data: { TaskId: id, Suggestion: 'Block' } }),
  'douyin-app': (id) => JSON.stringify({ event: 'content_audit', content: { task_id: id, result: 'pass' } }),
  'events': (id) => JSON.stringify({ type: 'job.done', data: { result: [{ job: id }] } }),
};

describe('other providers through the same relay', { timeout: 60_000 }, () => {
  let relay: TestRelay;
  let business: BusinessServer;
  let dir: string;
  const hook = (name: string, body: string, headers: Record<string, string>) => send('POST', `${relay.url}/api/hooks/${name}`, body, { 'content-type': 'application/json', ...headers });
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-sources-'));
    writeFileSync(join(dir, 'relay.json'), JSON.stringify({ sources: SOURCES }));
    relay = await startRelay({ RELAY_CONFIG: join(dir, 'relay.json') });
    business = await BusinessServer.start(() => 200);
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const source of SOURCES.map((item) => item.name)) {
    it(`${source}: a registered id's push is forwarded byte for byte, a repeat once, and an early one parked and adopted`, async () => {
      const id = `${source}-${randomBytes(4).toString('hex')}`;
      expect((await register(relay, { trace_id: id, server_uri: `${business.url}/hooks/${source}`, app_id: source })).status).toBe(201);
      const body = bodies[source]!(id);
      const headers = signedPush(source, body);
      const answer = await hook(source, body, headers);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('');
      expect((await hook(source, body, headers)).status).toBe(200);
      await waitFor(async () => (await getTrace(relay, id, source)).body.status === 'delivered', { what: `${id} delivered` });
      const received = business.requests.filter((request) => request.headers['x-relay-trace-id'] === id);
      expect(received).toHaveLength(1);
      expect(received[0]!.body.toString('utf8')).toBe(body);
      expect(received[0]!.headers['content-type']).toBe('application/json');

      const early = `${source}-early-${randomBytes(4).toString('hex')}`;
      const earlyBody = bodies[source]!(early);
      expect((await hook(source, earlyBody, signedPush(source, earlyBody))).status).toBe(200);
      await register(relay, { trace_id: early, server_uri: `${business.url}/hooks/${source}`, app_id: source });
      await waitFor(async () => (await getTrace(relay, early, source)).body.status === 'delivered', { what: `${early} adopted and delivered` });
    });
  }

  it('refuses a wrong or missing signature and a stale Standard Webhooks timestamp with 401, storing nothing', async () => {
    const before = await countRows(relay.databaseUrl, 'relay_callbacks');
    const body = bodies.shop!('forged');
    expect((await hook('shop', body, { 'x-shop-signature': hmacHex(`${body} `) })).status).toBe(401);
    expect((await hook('shop', body, {})).body).toMatchObject({ error: { code: 'SIGNATURE_INVALID' } });
    expect((await hook('tcloud', body, { 'x-signature': keyedDigest('sha256', 'another-seed', body) })).status).toBe(401);
    const old = new Date(Date.now() - 10 * 60_000);
    const stale = { 'webhook-id': 'msg_old', 'webhook-timestamp': String(Math.floor(old.getTime() / 1000)), 'webhook-signature': new Webhook(SW_SECRET).sign('msg_old', old, body) };
    expect((await hook('events', body, stale)).status).toBe(401);
    expect(await countRows(relay.databaseUrl, 'relay_callbacks')).toBe(before);
  });

  it('answers Douyin\'s verify_webhook with its challenge without storing it, a body that is not JSON with 400, and an unknown source with 404', async () => {
    const before = await countRows(relay.databaseUrl, 'relay_callbacks');
    const challenge = JSON.stringify({ event: 'verify_webhook', content: { challenge: 12345 } });
    const answer = await hook('douyin-app', challenge, signedPush('douyin-app', challenge));
    expect(answer.body).toEqual({ challenge: 12345 });
    const notJson = 'a=1&b=2';
    expect((await hook('shop', notJson, signedPush('shop', notJson))).body).toMatchObject({ error: { code: 'INVALID_PUSH' } });
    expect((await hook('nobody', '{}', {})).status).toBe(404);
    expect(await countRows(relay.databaseUrl, 'relay_callbacks')).toBe(before);
  });
});
