import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

describe('rate limit per API key on registration', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_API_KEYS: 'rate-key-one-111,rate-key-two-222', RELAY_REGISTRATION_RATE_LIMIT: '3' });
  });
  afterAll(async () => relay.close());

  const registerAs = (key: string, traceId: string) =>
    send('POST', `${relay.url}/api/moderate/trace`, { trace_id: traceId, server_uri: 'https://biz.example.com/cb' }, { authorization: `Bearer ${key}` });

  it('answers 429 with Retry-After past the limit, stores nothing, and counts each key apart', async () => {
    for (const id of ['rl-1', 'rl-2', 'rl-3']) expect((await registerAs('rate-key-one-111', id)).status).toBe(201);
    const limited = await registerAs('rate-key-one-111', 'rl-4');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await send('GET', `${relay.url}/api/moderate/trace/rl-4`, undefined, { authorization: 'Bearer rate-key-two-222' })).status).toBe(404);
    expect((await registerAs('rate-key-two-222', 'rl-5')).status).toBe(201);
    // A wrong key is refused for what it is, not counted against anyone.
    expect((await registerAs('not-a-key-000000', 'rl-6')).status).toBe(401);
  });
});

describe('limits and hygiene', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_REQUEST_TIMEOUT_MS: '500' });
    business = await BusinessServer.start();
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  it('sends security headers on the admin API', async () => {
    for (const path of ['/api/admin/audit', '/api/admin/destinations', '/api/moderate/trace/none']) {
      const answer = await send('GET', `${relay.url}${path}`);
      expect(answer.headers['content-security-policy'], path).toContain("frame-ancestors 'none'");
      expect(answer.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('keeps each endpoint to its body limit', async () => {
    const filler = 'x'.repeat(17 * 1024);
    const registration = await register(relay, { trace_id: 'bl-1', server_uri: `${business.url}/bl`, note: filler });
    expect(registration.status).toBe(413);
    expect(registration.body.error.code).toBe('BODY_TOO_LARGE');
    expect((await getTrace(relay, 'bl-1')).status).toBe(404);
    const replay = await send('POST', `${relay.url}/api/moderate/trace/bl-1/replay`, { filler });
    expect(replay.status).toBe(413);
    const redrive = await send('POST', `${relay.url}/api/admin/redrive`, { status: 'failed', filler });
    expect(redrive.status).toBe(413);
    // A push may be far larger than a registration.
    await register(relay, { trace_id: 'bl-2', server_uri: `${business.url}/bl` });
    const big = JSON.stringify({ ...JSON.parse(mediaCheckJson('bl-2')), padding: 'y'.repeat(200 * 1024) });
    expect((await push(relay, big)).text).toBe('success');
  });

  it('drops a connection that stalls in the middle of its request', async () => {
    const { port } = new URL(relay.url);
    const socket = connect(Number(port), '127.0.0.1');
    let isClosed = false;
    socket.on('close', () => {
      isClosed = true;
    });
    socket.on('error', () => undefined);
    socket.write('POST /api/moderate/trace HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n');
    await waitFor(() => isClosed, { what: 'the stalled connection to be closed', timeoutMs: 20_000 });
  });

  it('masks server_uri credentials in every answer', async () => {
    const uri = `http://hookuser:s3cret-pass@127.0.0.1:${new URL(business.url).port}/creds`;
    const created = await register(relay, { trace_id: 'cred-1', server_uri: uri });
    expect(created.status).toBe(201);
    expect(created.body.server_uri).toBe(`http://***:***@127.0.0.1:${new URL(business.url).port}/creds`);
    const again = await register(relay, { trace_id: 'cred-1', server_uri: uri });
    expect(again.text).not.toContain('s3cret');
    const conflict = await register(relay, { trace_id: 'cred-1', server_uri: `${business.url}/other` });
    expect(conflict.status).toBe(409);
    expect(conflict.text).not.toContain('s3cret');
    await register(relay, { trace_id: 'cred-2', server_uri: `https://tok_live_abcdef@biz.example.com/cb` });
    for (const id of ['cred-1', 'cred-2']) {
      const trace = await getTrace(relay, id);
      expect(trace.text).not.toMatch(/s3cret|hookuser|tok_live/);
    }
    expect((await getTrace(relay, 'cred-2')).body.server_uri).toBe('https://***@biz.example.com/cb');
  });
});
