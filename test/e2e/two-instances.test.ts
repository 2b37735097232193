import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { send } from '../helpers/relay-harness.ts';
import { spawnRelay, type RelayProcess } from '../helpers/spawned-relay.ts';
import { createTestDatabase, currentBackend, dropRedisKeys, isRedisRun, SERVICE_URLS, type TestDatabase } from '../helpers/test-backends.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

const backend = currentBackend();

/**
 * Two real relay processes on one PostgreSQL or MariaDB database share the work:
 * every callback is forwarded once, every timeout notice sent once, and the work a
 * killed instance held comes back when its lease runs out.
 */
describe.skipIf(backend === 'sqlite')(`two relay instances on one ${backend} database`, () => {
  let database: TestDatabase;
  let business: BusinessServer;
  const relays: RelayProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    if (backend === 'sqlite') return;
    database = await createTestDatabase(backend);
    business = await BusinessServer.start();
    env = {
      DATABASE_URL: database.url,
      RELAY_SWEEP_INTERVAL_MS: '100',
      RELAY_RETRY_SCHEDULE: '300ms,300ms,300ms',
      RELAY_ATTEMPT_TIMEOUT_MS: '3000',
      RELAY_DELIVERY_LEASE_MS: '5000',
      RELAY_DB_POOL_MAX: '4',
      ...(isRedisRun() ? { REDIS_URL: SERVICE_URLS.redis, RELAY_REDIS_KEY_PREFIX: `relay-test-${database.url.split('/').pop()}:` } : {}),
    };
    // Both start at once: the migrations lock keeps them from migrating twice.
    relays.push(...await Promise.all([spawnRelay(env), spawnRelay(env)]));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.kill()));
    await business?.stop();
    if (env?.REDIS_URL) await dropRedisKeys(env.REDIS_URL, env.RELAY_REDIS_KEY_PREFIX!);
    await database?.drop();
  });

  const traceOf = async (relay: RelayProcess, traceId: string) => (await send('GET', `${relay.url}/api/moderate/trace/${traceId}`)).body;
  const requestsFor = (traceId: string) => business.requests.filter((request) => request.path === `/t/${traceId}`);

  // Fifty traces, each awaited in turn: in a full parallel test run on two cores this has outlasted the default 30 s.
  it('forwards every callback exactly once and sends every timeout notice once', async () => {
    const [a, b] = relays as [RelayProcess, RelayProcess];
    const callbacks = Array.from({ length: 40 }, (_, index) => `cb-${index}`);
    const timeouts = Array.from({ length: 10 }, (_, index) => `to-${index}`);
    await Promise.all([
      // Registered on one instance, pushed to the other at the same moment; every fourth push comes first.
      ...callbacks.map(async (id, index) => {
        const [registrar, receiver] = index % 2 === 0 ? [a, b] : [b, a];
        const registerIt = () => send('POST', `${registrar.url}/api/moderate/trace`, { trace_id: id, server_uri: `${business.url}/t/${id}` });
        const pushIt = () => send('POST', `${receiver.url}/api/wechat`, mediaCheckJson(id), { 'content-type': 'application/json' });
        if (index % 4 === 3) {
          expect((await pushIt()).text).toBe('success');
          expect((await registerIt()).status).toBe(201);
        } else {
          const [registered, pushed] = await Promise.all([registerIt(), pushIt()]);
          expect(registered.status).toBe(201);
          expect(pushed.text).toBe('success');
        }
      }),
      ...timeouts.map(async (id, index) => {
        const registered = await send('POST', `${relays[index % 2]!.url}/api/moderate/trace`, { trace_id: id, server_uri: `${business.url}/t/${id}`, timeout_s: 1 });
        expect(registered.status).toBe(201);
      }),
    ]);

    // Every delivery finished (so nothing more will be sent), each after one attempt.
    for (const id of [...callbacks, ...timeouts]) {
      const finalStatus = id.startsWith('cb-') ? 'delivered' : 'timed_out';
      // The view reads the trace and its deliveries one after the other: wait for both to show the end.
      const trace = await waitFor(async () => {
        const view = await traceOf(relays[0]!, id);
        const isDone = view?.status === finalStatus && view.deliveries?.length > 0 && view.deliveries.every((delivery: { status: string }) => delivery.status === 'delivered');
        return isDone ? view : undefined;
      }, { timeoutMs: 30_000, what: `${id} finished` });
      expect(trace.deliveries).toHaveLength(1);
      expect(trace.attempts).toHaveLength(1);
    }
    for (const id of callbacks) {
      expect(requestsFor(id).map((request) => request.headers['x-relay-event'])).toEqual(['callback.received']);
    }
    for (const id of timeouts) {
      expect(requestsFor(id).map((request) => request.headers['x-relay-event'])).toEqual(['callback.timeout']);
    }
    // Which instance forwarded what is up to their claims (one may scoop a whole batch); the counts above are the contract.
  }, 120_000);

  it('picks up the delivery a killed instance was holding once its lease runs out', async () => {
    // Leave one worker, so the kill hits the instance holding the delivery.
    await relays.pop()!.stop();
    const [holder] = relays as [RelayProcess];
    let isHanging = true;
    business.respondWith((request) => (request.path === '/t/kill-1' && isHanging ? 'hang' : 200));
    expect((await send('POST', `${holder.url}/api/moderate/trace`, { trace_id: 'kill-1', server_uri: `${business.url}/t/kill-1` })).status).toBe(201);
    expect((await send('POST', `${holder.url}/api/wechat`, mediaCheckJson('kill-1'), { 'content-type': 'application/json' })).text).toBe('success');
    await waitFor(() => requestsFor('kill-1').length === 1, { what: 'the first attempt to reach the business server' });
    await relays.pop()!.kill();
    isHanging = false;

    const successor = await spawnRelay(env);
    relays.push(successor);
    const trace = await waitFor(async () => {
      const view = await traceOf(successor, 'kill-1');
      return view?.status === 'delivered' ? view : undefined;
    }, { timeoutMs: 30_000, what: 'kill-1 delivered by the successor' });
    const [first, second] = requestsFor('kill-1');
    expect(requestsFor('kill-1')).toHaveLength(2);
    // At-least-once: the same delivery id both times, so the business server can deduplicate.
    expect(first!.headers['x-relay-delivery-id']).toBeTruthy();
    expect(second!.headers['x-relay-delivery-id']).toBe(first!.headers['x-relay-delivery-id']);
    expect(second!.headers['x-relay-attempt']).toBe('2');
    expect(trace.attempts).toEqual([expect.objectContaining({ attempt: 2, http_status: 200 })]);
  });
});
