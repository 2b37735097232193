import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { PrivateRedis } from '../helpers/private-redis.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { currentBackend } from '../helpers/test-backends.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

const PREFIX = 'relay:';

/** Redis is an index, never the source of truth: FLUSHALL or a restart mid-run loses nothing. */
describe(`Redis beside ${currentBackend()}`, () => {
  let redis: PrivateRedis;
  let inspect: Redis;
  let relay: TestRelay;
  let business: BusinessServer;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    inspect = redis.client();
    business = await BusinessServer.start();
    relay = await startRelay({ REDIS_URL: redis.url, RELAY_REDIS_KEY_PREFIX: PREFIX, RELAY_SWEEP_INTERVAL_MS: '100' });
  });
  afterAll(async () => {
    await relay?.close();
    inspect?.disconnect();
    await redis?.close();
    await business?.stop();
  });

  const status = (traceId: string, wanted: string) => waitFor(async () => {
    const trace = (await getTrace(relay, traceId)).body;
    return trace?.status === wanted ? trace : undefined;
  }, { timeoutMs: 20_000, what: `${traceId} → ${wanted}` });
  const requestsFor = (traceId: string) => business.requests.filter((request) => request.path === `/r/${traceId}`);

  it('indexes each registration: its route with a TTL, its deadline scored in epoch ms', async () => {
    const before = Date.now();
    expect((await register(relay, { trace_id: 'idx-1', server_uri: `${business.url}/r/idx-1`, timeout_s: 600 })).status).toBe(201);
    const route = await waitFor(() => inspect.get(`${PREFIX}route:default:idx-1`).then((text) => text ?? undefined), { what: 'the route in Redis' });
    expect(JSON.parse(route)).toMatchObject({ serverUri: `${business.url}/r/idx-1` });
    expect(await inspect.pttl(`${PREFIX}route:default:idx-1`)).toBeGreaterThan(600_000);
    const score = Number(await inspect.zscore(`${PREFIX}deadlines`, 'default:idx-1'));
    expect(score).toBeGreaterThanOrEqual(before + 600_000);
    expect(score).toBeLessThanOrEqual(Date.now() + 600_000);
    // Not due yet: the due range (-inf, now] does not hold it.
    expect(await inspect.zrangebyscore(`${PREFIX}deadlines`, '-inf', Date.now())).not.toContain('default:idx-1');
  });

  it('loses nothing to FLUSHALL mid-run, and rebuilds the index from the database', async () => {
    for (const id of ['fl-1', 'fl-2', 'fl-3']) {
      expect((await register(relay, { trace_id: id, server_uri: `${business.url}/r/${id}`, timeout_s: 600 })).status).toBe(201);
    }
    expect((await register(relay, { trace_id: 'fl-timeout', server_uri: `${business.url}/r/fl-timeout`, timeout_s: 2 })).status).toBe(201);
    await inspect.flushall();
    expect((await push(relay, mediaCheckJson('fl-1'))).text).toBe('success');
    await status('fl-1', 'delivered');
    // The timeout that Redis forgot still fires, once.
    await waitFor(async () => requestsFor('fl-timeout').length === 1, { timeoutMs: 20_000, what: 'the timeout notice of fl-timeout' });
    expect((await getTrace(relay, 'fl-timeout')).body.status).toBe('timed_out');
    // The index comes back: the pending traces' routes and deadlines, and its completion marker.
    await waitFor(async () => (await inspect.exists(`${PREFIX}index:complete`)) === 1, { timeoutMs: 20_000, what: 'index rebuilt' });
    for (const id of ['fl-2', 'fl-3', 'idx-1']) {
      expect(await inspect.exists(`${PREFIX}route:default:${id}`)).toBe(1);
      expect(await inspect.zscore(`${PREFIX}deadlines`, `default:${id}`)).not.toBeNull();
    }
    expect((await push(relay, mediaCheckJson('fl-2'))).text).toBe('success');
    await status('fl-2', 'delivered');
    expect(requestsFor('fl-1')).toHaveLength(1);
    expect(requestsFor('fl-2')).toHaveLength(1);
    expect(requestsFor('fl-timeout')).toHaveLength(1);
  });

  it('keeps working from the database while Redis is down, says so in /readyz, and recovers', async () => {
    await redis.kill();
    const ready = await waitFor(async () => {
      const answer = await send('GET', `${relay.url}/readyz`);
      return answer.body?.redis?.status === 'degraded' ? answer : undefined;
    }, { what: '/readyz to report Redis degraded' });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', storage: { status: 'ok' }, redis: { status: 'degraded' } });

    expect((await register(relay, { trace_id: 'down-1', server_uri: `${business.url}/r/down-1` })).status).toBe(201);
    expect((await register(relay, { trace_id: 'down-timeout', server_uri: `${business.url}/r/down-timeout`, timeout_s: 1 })).status).toBe(201);
    expect((await push(relay, mediaCheckJson('down-1'))).text).toBe('success');
    await status('down-1', 'delivered');
    await waitFor(async () => requestsFor('down-timeout').length === 1, { timeoutMs: 20_000, what: 'a timeout notice with Redis down' });

    await redis.restart();
    await waitFor(async () => (await send('GET', `${relay.url}/readyz`)).body?.status === 'ready', { timeoutMs: 20_000, what: '/readyz ready again' });
    // A restarted Redis is empty: the index is rebuilt, including what was registered while it was away.
    await waitFor(async () => (await inspect.exists(`${PREFIX}index:complete`)) === 1, { timeoutMs: 20_000, what: 'index rebuilt after the restart' });
    expect(await inspect.zscore(`${PREFIX}deadlines`, 'default:fl-3')).not.toBeNull();
    expect(requestsFor('down-1')).toHaveLength(1);
    expect(requestsFor('down-timeout')).toHaveLength(1);
  });
});
