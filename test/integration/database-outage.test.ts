import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { createTestDatabase, currentBackend, type TestDatabase } from '../helpers/test-backends.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

const backend = currentBackend();
const PORTS = { postgres: 5432, mysql: 3306 } as const;

/**
 * The database goes away and comes back (a TCP proxy in front of the shared server
 * is cut, stalled and restored): nothing acknowledged is lost, nothing is
 * acknowledged that was not stored, and the relay recovers without a restart.
 */
describe.skipIf(backend === 'sqlite')(`database outage on ${backend}`, () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let relay: TestRelay;
  let business: BusinessServer;

  beforeAll(async () => {
    if (backend === 'sqlite') return;
    database = await createTestDatabase(backend);
    proxy = await TcpProxy.start(PORTS[backend]);
    const viaProxy = database.url.replace(`:${PORTS[backend]}/`, `:${proxy.port}/`);
    relay = await startRelay({ DATABASE_URL: viaProxy, RELAY_DB_STATEMENT_TIMEOUT_MS: '2000', RELAY_DB_CONNECT_TIMEOUT_MS: '1500' });
    business = await BusinessServer.start();
  });
  afterAll(async () => {
    await relay?.close();
    await proxy?.close();
    await business?.stop();
    await database?.drop();
  });

  const delivered = (traceId: string) => waitFor(async () => {
    const trace = (await getTrace(relay, traceId)).body;
    return trace?.status === 'delivered' ? trace : undefined;
  }, { timeoutMs: 30_000, what: `${traceId} delivered` });

  it('answers 503 to pushes and registrations while the database is down, and recovers by itself', async () => {
    expect((await register(relay, { trace_id: 'before-1', server_uri: `${business.url}/before` })).status).toBe(201);
    expect((await push(relay, mediaCheckJson('before-1'))).text).toBe('success');
    await delivered('before-1');

    await proxy.cut();
    const registration = await register(relay, { trace_id: 'during-1', server_uri: `${business.url}/during` });
    expect(registration.status).toBe(503);
    expect(registration.body.error.code).toBe('STORAGE_UNAVAILABLE');
    expect(registration.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|password/);
    const refused = await push(relay, mediaCheckJson('during-1'));
    expect(refused.status).toBe(503);
    expect(refused.text).not.toContain('success');
    const ready = await send('GET', `${relay.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'unavailable', storage: { dialect: backend, status: 'unreachable' } });

    await proxy.restore();
    await waitFor(async () => (await send('GET', `${relay.url}/readyz`)).status === 200, { timeoutMs: 20_000, what: '/readyz back to ready' });
    // The business server registers again, WeChat pushes again: both now land and are forwarded.
    expect((await register(relay, { trace_id: 'during-1', server_uri: `${business.url}/during` })).status).toBeLessThan(300);
    expect((await push(relay, mediaCheckJson('during-1'))).text).toBe('success');
    await delivered('during-1');
    expect(business.requests.filter((request) => request.path === '/during')).toHaveLength(1);
    expect(business.requests.filter((request) => request.path === '/before')).toHaveLength(1);
  });

  it('answers a push within WeChat\'s 5 s when the database hangs, then delivers what was acknowledged', async () => {
    expect((await register(relay, { trace_id: 'stall-1', server_uri: `${business.url}/stall` })).status).toBe(201);
    proxy.stall();
    const startedAt = Date.now();
    const response = await push(relay, mediaCheckJson('stall-1'));
    const tookMs = Date.now() - startedAt;
    // Whatever the answer, it came before WeChat gives up; `success` only if the push is stored.
    expect(tookMs).toBeLessThan(5000);
    expect(response.status).toBe(503);
    const registration = await register(relay, { trace_id: 'stall-2', server_uri: `${business.url}/stall` });
    expect(registration.status).toBe(503);

    await proxy.restore();
    await waitFor(async () => (await send('GET', `${relay.url}/readyz`)).status === 200, { timeoutMs: 20_000, what: '/readyz back to ready' });
    expect((await push(relay, mediaCheckJson('stall-1'))).text).toBe('success');
    await delivered('stall-1');
    expect(business.requests.filter((request) => request.path === '/stall')).toHaveLength(1);
  });

  it('loses nothing acknowledged: a delivery waiting for its retry when the database goes away is delivered after', async () => {
    let calls = 0;
    business.respondWith((request) => (request.path === '/retry' && (calls += 1) === 1 ? 500 : 200));
    expect((await register(relay, { trace_id: 'across-1', server_uri: `${business.url}/retry` })).status).toBe(201);
    expect((await push(relay, mediaCheckJson('across-1'))).text).toBe('success');
    await waitFor(() => calls >= 1, { what: 'first attempt' });
    await proxy.cut();
    // The retry falls due while the database is away; the worker keeps trying to claim it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await proxy.restore();
    const trace = await delivered('across-1');
    expect(trace.attempts.map((attempt: { http_status: number }) => attempt.http_status)).toEqual([500, 200]);
    business.respondWith(() => 200);
  });
});
