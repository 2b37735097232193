import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

const traceWhen = (relay: TestRelay, traceId: string, check: (trace: any) => boolean, timeoutMs = 20_000) =>
  waitFor(async () => {
    const trace = (await getTrace(relay, traceId)).body;
    return trace && check(trace) ? trace : undefined;
  }, { what: `trace ${traceId}`, timeoutMs });
const destinations = async (relay: TestRelay) => (await send('GET', `${relay.url}/api/admin/destinations`)).body.destinations as any[];

describe('one dead destination cannot starve the others', () => {
  let relay: TestRelay;
  let dead: BusinessServer;
  let healthy: BusinessServer;
  let open = 0;
  let maxOpen = 0;
  beforeAll(async () => {
    relay = await startRelay({
      RELAY_WORKER_CONCURRENCY: '4', RELAY_DESTINATION_CONCURRENCY: '2', RELAY_BREAKER_FAILURES: '3',
      RELAY_BREAKER_COOLDOWN_MS: '600000', RELAY_ATTEMPT_TIMEOUT_MS: '1500',
    });
    // The dead server accepts connections and never answers.
    dead = await BusinessServer.start((_request, _index, response) => {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      response.on('close', () => {
        open -= 1;
      });
      return 'hang';
    });
    healthy = await BusinessServer.start();
  });
  afterAll(async () => {
    await relay.close();
    await dead.stop();
    await healthy.stop();
  });

  it('caps sends per origin, opens the dead origin\'s circuit, and still serves the healthy one', async () => {
    const ids = Array.from({ length: 30 }, (_, index) => `dead-${index}`);
    for (const id of ids) await register(relay, { trace_id: id, server_uri: `${dead.url}/hook/${id}` });
    for (const id of ids) await push(relay, mediaCheckJson(id));
    await register(relay, { trace_id: 'alive-1', server_uri: `${healthy.url}/hook` });
    await push(relay, mediaCheckJson('alive-1'));
    await traceWhen(relay, 'alive-1', (trace) => trace.status === 'delivered');
    // Served while most dead deliveries were never even tried.
    expect(dead.requests.length).toBeLessThan(ids.length);
    await waitFor(async () => (await destinations(relay)).find((item) => item.origin === dead.url && item.state === 'open'), { what: 'dead circuit open', timeoutMs: 20_000 });
    const states = await destinations(relay);
    const deadState = states.find((item) => item.origin === dead.url);
    expect(deadState.state).toBe('open');
    // Sends already in flight when the third failure opened the circuit fail too.
    expect(deadState.consecutive_failures).toBeGreaterThanOrEqual(3);
    expect(Date.parse(deadState.probe_at)).toBeGreaterThan(Date.parse(deadState.opened_at));
    expect(states.find((item) => item.origin === healthy.url)).toMatchObject({ state: 'closed', consecutive_failures: 0 });
    expect(maxOpen).toBeLessThanOrEqual(2);
    expect(dead.requests.length).toBeLessThanOrEqual(4);
    // Deliveries behind the open circuit are recorded as not sent and wait for the probe.
    const traces = await waitFor(async () => {
      const all = await Promise.all(ids.map(async (id) => (await getTrace(relay, id)).body));
      // The trace view reads attempts and deliveries in separate statements: wait until both show the wait.
      const isWaiting = (trace: any) => trace.attempts.at(-1)?.outcome === 'circuit_open' && trace.deliveries[0].next_attempt_at > new Date(Date.now() + 60_000).toISOString();
      return all.every(isWaiting) ? all : undefined;
    }, { what: 'every dead delivery to wait behind the open circuit', timeoutMs: 20_000 });
    const attempts = traces.flatMap((trace) => trace.attempts);
    expect(attempts.filter((attempt: any) => attempt.outcome !== 'circuit_open').length).toBeLessThanOrEqual(4);
    expect(attempts.filter((attempt: any) => attempt.outcome === 'circuit_open').length).toBeGreaterThanOrEqual(ids.length - 4);
    expect(attempts.find((attempt: any) => attempt.outcome === 'circuit_open').error).toContain('circuit is open');
    expect(traces.every((trace) => trace.status === 'delivering' && trace.deliveries[0].next_attempt_at > new Date(Date.now() + 60_000).toISOString())).toBe(true);
    const metrics = (await send('GET', `${relay.url}/metrics`)).text;
    expect(metrics).toContain(`relay_destination_circuit_state{origin="${dead.url}"} 2`);
    expect(metrics).toContain(`relay_destination_circuit_state{origin="${healthy.url}"} 0`);
    expect(metrics).toMatch(/relay_delivery_attempts_total\{outcome="circuit_open"\} [1-9]/);
    expect(metrics).toMatch(/relay_deliveries_postponed_total\{reason="origin_busy"\} [1-9]/);
  });
});

describe('circuit breaker recovery', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay({
      RELAY_BREAKER_FAILURES: '2', RELAY_BREAKER_COOLDOWN_MS: '300',
      RELAY_RETRY_SCHEDULE: Array.from({ length: 30 }, () => '100ms').join(','),
    });
    business = await BusinessServer.start();
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  it('lets one probe through after the cooldown and closes when it succeeds', async () => {
    await business.stop();
    const ids = ['cb-1', 'cb-2', 'cb-3', 'cb-4', 'cb-5'];
    for (const id of ids) await register(relay, { trace_id: id, server_uri: `${business.url}/hook/${id}` });
    for (const id of ids) await push(relay, mediaCheckJson(id));
    await waitFor(async () => (await destinations(relay)).find((item) => item.state === 'open'), { what: 'circuit open' });
    await business.restart();
    for (const id of ids) await traceWhen(relay, id, (trace) => trace.status === 'delivered');
    expect((await destinations(relay))[0]).toMatchObject({ origin: business.url, state: 'closed', consecutive_failures: 0 });
    const refused = (await Promise.all(ids.map(async (id) => (await getTrace(relay, id)).body.attempts)))
      .flat().filter((attempt: any) => attempt.outcome === 'network_error');
    // Only the failures that opened the circuit and the failed probes reached the network.
    expect(refused.length).toBeLessThan(ids.length * 3);
  });
});

describe('what the business server answers is honoured, within bounds', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_ATTEMPT_TIMEOUT_MS: '1000', RELAY_BREAKER_FAILURES: '0' });
    business = await BusinessServer.start((request, index, response) => {
      const seen = business.requests.filter((item) => item.path === request.path).length;
      if (request.path === '/busy' && seen === 1) {
        response.writeHead(429, { 'retry-after': '1' }).end('slow down');
        return 'handled';
      }
      if (request.path === '/big') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('x'.repeat(5 * 1024 * 1024));
        return 'handled';
      }
      if (request.path === '/trickle') {
        // Headers at once, then the body never ends: the whole attempt is still capped.
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('partial');
        return 'handled';
      }
      return index >= 0 ? 200 : 500;
    });
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  it('waits at least Retry-After after a 429 even when the schedule says less', async () => {
    await register(relay, { trace_id: 'ra-1', server_uri: `${business.url}/busy` });
    await push(relay, mediaCheckJson('ra-1'));
    const trace = await traceWhen(relay, 'ra-1', (item) => item.status === 'delivered');
    expect(trace.attempts.map((attempt: any) => attempt.http_status)).toEqual([429, 200]);
    const gap = Date.parse(trace.attempts[1].at) - Date.parse(trace.attempts[0].at);
    expect(gap).toBeGreaterThanOrEqual(950);
  });

  it('reads a huge response only up to the excerpt cap', async () => {
    await register(relay, { trace_id: 'big-1', server_uri: `${business.url}/big` });
    await push(relay, mediaCheckJson('big-1'));
    const trace = await traceWhen(relay, 'big-1', (item) => item.status === 'delivered');
    expect(trace.attempts[0].response_excerpt.length).toBeLessThanOrEqual(1024);
  });

  it('caps the whole attempt, body included, at RELAY_ATTEMPT_TIMEOUT_MS', async () => {
    await register(relay, { trace_id: 'tr-1', server_uri: `${business.url}/trickle` });
    await push(relay, mediaCheckJson('tr-1'));
    const trace = await traceWhen(relay, 'tr-1', (item) => item.attempts.length >= 1);
    expect(trace.attempts[0]).toMatchObject({ outcome: 'timeout' });
  });
});

describe('retry budget tied to the deadline', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_RETRY_BUDGET_S: '0', RELAY_RETRY_SCHEDULE: '5s,5s,5s' });
    business = await BusinessServer.start(() => 500);
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  it('stops retrying once the next try would fall past deadline + budget', async () => {
    await register(relay, { trace_id: 'bud-1', server_uri: `${business.url}/hook`, timeout_s: 1 });
    await push(relay, mediaCheckJson('bud-1'));
    const trace = await traceWhen(relay, 'bud-1', (item) => item.status === 'failed');
    expect(trace.error).toBe('BIZ_SERVER_ERROR');
    expect(trace.attempts).toHaveLength(1);
  });
});
