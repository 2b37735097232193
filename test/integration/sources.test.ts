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
  // WeCom's official sample app; approvals are keyed by SpNo.
  { name: 'wecom-app', kind: 'wecom', idPath: 'ApprovalInfo.SpNo', token: 'QDG6eK', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' },
  { name: 'aliyun', kind: 'aliyun-green', idPath: 'content.taskId', uid: '1234567890', seed: 'aliyun-seed' },
];

/** WeCom's ciphertext built with openssl: random(16) ‖ length ‖ message ‖ corp id, padded to 32-byte blocks, AES-256-CBC. */
function wecomPush(message: string, corpId = 'wx5823bf96d3bd56c7'): { query: string; body: string } {
  const key = Buffer.from('jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C=', 'base64');
  const text = Buffer.from(message);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(text.length);
  const plain = Buffer.concat([randomBytes(16), length, text, Buffer.from(corpId)]);
  const padding = 32 - (plain.length % 32);
  const padded = Buffer.concat([plain, Buffer.alloc(padding, padding)]);
  const encrypt = execFileSync('openssl', ['enc', '-aes-256-cbc', '-nopad', '-K', key.toString('hex'), '-iv', key.subarray(0, 16).toString('hex'), '-base64', '-A'], { input: padded }).toString('utf8').trim();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  const signature = openssl(['-sha1'], Buffer.from(['QDG6eK', timestamp, nonce, encrypt].sort().join('')));
  return {
    query: new URLSearchParams({ msg_signature: signature, timestamp, nonce }).toString(),
    body: `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`,
  };
}

const aliyunForm = (content: string) => new URLSearchParams({ checksum: openssl(['-sha256'], Buffer.from(`1234567890aliyun-seed${content}`)), content }).toString();

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

/** What the provider sends, and what the registered server must receive byte for byte. */
function pushFor(source: string, id: string): { path: string; body: string; headers: Record<string, string>; forwarded: string; contentType: string } {
  if (source === 'wecom-app') {
    const message = `<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[sys_approval_change]]></Event><ApprovalInfo><SpNo>${id}</SpNo><SpStatus>2</SpStatus></ApprovalInfo></xml>`;
    const push = wecomPush(message);
    return { path: `/api/hooks/wecom-app?${push.query}`, body: push.body, headers: { 'content-type': 'text/xml' }, forwarded: message, contentType: 'text/xml' };
  }
  if (source === 'aliyun') {
    const form = aliyunForm(JSON.stringify({ taskId: id, results: [{ suggestion: 'block' }] }));
    return { path: '/api/hooks/aliyun', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, forwarded: form, contentType: 'application/x-www-form-urlencoded' };
  }
  const body = bodies[source]!(id);
  return { path: `/api/hooks/${source}`, body, headers: { 'content-type': 'application/json', ...signedPush(source, body) }, forwarded: body, contentType: 'application/json' };
}

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
      const push = pushFor(source, id);
      const answer = await send('POST', `${relay.url}${push.path}`, push.body, push.headers);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('');
      expect((await send('POST', `${relay.url}${push.path}`, push.body, push.headers)).status).toBe(200);
      await waitFor(async () => (await getTrace(relay, id, source)).body.status === 'delivered', { what: `${id} delivered` });
      const received = business.requests.filter((request) => request.headers['x-relay-trace-id'] === id);
      expect(received).toHaveLength(1);
      expect(received[0]!.body.toString('utf8')).toBe(push.forwarded);
      expect(received[0]!.headers['content-type']).toBe(push.contentType);

      const early = `${source}-early-${randomBytes(4).toString('hex')}`;
      const earlyPush = pushFor(source, early);
      expect((await send('POST', `${relay.url}${earlyPush.path}`, earlyPush.body, earlyPush.headers)).status).toBe(200);
      await register(relay, { trace_id: early, server_uri: `${business.url}/hooks/${source}`, app_id: source });
      await waitFor(async () => (await getTrace(relay, early, source)).body.status === 'delivered', { what: `${early} adopted and delivered` });
    });
  }

  it('forwards each of several pushes under one id (a WeCom approval\'s changes) once, a re-encrypted repeat not again, and adopts several early ones', async () => {
    const approval = (id: string, status: number) => `<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[sys_approval_change]]></Event><ApprovalInfo><SpNo>${id}</SpNo><SpStatus>${status}</SpStatus></ApprovalInfo></xml>`;
    const pushWecom = async (message: string) => {
      const push = wecomPush(message);
      expect((await send('POST', `${relay.url}/api/hooks/wecom-app?${push.query}`, push.body, { 'content-type': 'text/xml' })).status).toBe(200);
    };
    const receivedFor = (id: string) => business.requests.filter((request) => request.headers['x-relay-trace-id'] === id).map((request) => request.body.toString('utf8'));

    const spNo = `sp-${randomBytes(4).toString('hex')}`;
    await register(relay, { trace_id: spNo, server_uri: `${business.url}/hooks/wecom`, app_id: 'wecom-app' });
    await pushWecom(approval(spNo, 1));
    await waitFor(async () => receivedFor(spNo).length === 1, { what: `${spNo}: the first change forwarded` });
    await pushWecom(approval(spNo, 2));
    // WeCom encrypts afresh when it retries: still the same push.
    await pushWecom(approval(spNo, 2));
    await waitFor(async () => (await getTrace(relay, spNo, 'wecom-app')).body.status === 'delivered' && receivedFor(spNo).length === 2, { what: `${spNo}: both changes delivered` });
    expect(receivedFor(spNo).sort()).toEqual([approval(spNo, 1), approval(spNo, 2)].sort());
    const trace = (await getTrace(relay, spNo, 'wecom-app')).body as { deliveries: unknown[] };
    expect(trace.deliveries).toHaveLength(2);

    const early = `order-${randomBytes(4).toString('hex')}`;
    const paid = JSON.stringify({ order: { id: early, state: 'paid' } });
    const shipped = JSON.stringify({ order: { id: early, state: 'shipped' } });
    for (const body of [paid, shipped]) expect((await hook('shop', body, { 'x-shop-signature': hmacHex(body) })).status).toBe(200);
    await register(relay, { trace_id: early, server_uri: `${business.url}/hooks/shop`, app_id: 'shop' });
    await waitFor(async () => receivedFor(early).length === 2, { what: `${early}: both early pushes adopted and forwarded` });
    expect(receivedFor(early).sort()).toEqual([paid, shipped].sort());
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receivedFor(spNo)).toHaveLength(2);
    expect(receivedFor(early)).toHaveLength(2);
  });

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

  it('answers WeCom\'s URL check with the official sample\'s echostr, and refuses a ciphertext made for another corp with 400', async () => {
    const check = await send('GET', `${relay.url}/api/hooks/wecom-app?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=${encodeURIComponent('P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==')}`);
    expect(check.text).toBe('1616140317555161061');
    const before = await countRows(relay.databaseUrl, 'relay_callbacks');
    const foreign = wecomPush('<xml><ApprovalInfo><SpNo>x</SpNo></ApprovalInfo></xml>', 'ww1234567890abcdef');
    const refused = await send('POST', `${relay.url}/api/hooks/wecom-app?${foreign.query}`, foreign.body, { 'content-type': 'text/xml' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'APPID_MISMATCH' } });
    const badChecksum = new URLSearchParams({ checksum: '0'.repeat(64), content: '{"taskId":"t"}' }).toString();
    expect((await send('POST', `${relay.url}/api/hooks/aliyun`, badChecksum, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(401);
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
    const huge = JSON.stringify({ order: { id: 'huge' }, padding: 'x'.repeat(1_100_000) });
    const tooLarge = await hook('shop', huge, { 'x-shop-signature': hmacHex(huge) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });
    expect(await countRows(relay.databaseUrl, 'relay_callbacks')).toBe(before);
  });
});
