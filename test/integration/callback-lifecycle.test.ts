import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

describe('deadlines, early, late, repeated and conflicting pushes', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay();
    business = await BusinessServer.start();
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  const requestsTo = (path: string) => business.requests.filter((item) => item.path === path);
  const traceWhen = (traceId: string, check: (trace: any) => boolean) =>
    waitFor(async () => {
      const trace = (await getTrace(relay, traceId)).body;
      return check(trace) ? trace : undefined;
    }, { what: `trace ${traceId}` });

  it('times out a trace with no push, notifies the server once, then forwards a late push flagged late', async () => {
    await register(relay, { trace_id: 'dl-1', server_uri: `${business.url}/dl-1`, timeout_s: 1 });
    const timedOut = await traceWhen('dl-1', (trace) => trace.status === 'timed_out' && trace.deliveries[0]?.status === 'delivered');
    expect(timedOut.error).toBe('WX_TIMEOUT_ERROR');
    const [notice] = requestsTo('/dl-1');
    expect(notice?.headers['x-relay-event']).toBe('callback.timeout');
    expect(JSON.parse(notice!.body.toString())).toMatchObject({ type: 'callback.timeout', trace_id: 'dl-1', error: 'WX_TIMEOUT_ERROR' });

    const late = mediaCheckJson('dl-1', 'risky');
    expect((await push(relay, late)).text).toBe('success');
    const delivered = await traceWhen('dl-1', (trace) => trace.status === 'delivered');
    expect(delivered).toMatchObject({ late: true, error: null });
    const forwarded = requestsTo('/dl-1')[1];
    expect(forwarded?.headers['x-relay-late']).toBe('true');
    expect(forwarded?.headers['x-relay-event']).toBe('callback.received');
    expect(forwarded?.body.toString()).toBe(late);
    expect(requestsTo('/dl-1').filter((item) => item.headers['x-relay-event'] === 'callback.timeout')).toHaveLength(1);
  });

  it('parks a push that arrives before its registration and forwards it the moment the registration lands', async () => {
    const early = mediaCheckJson('early-1');
    expect((await push(relay, early)).text).toBe('success');
    expect((await getTrace(relay, 'early-1')).status).toBe(404);
    const registered = await register(relay, { trace_id: 'early-1', server_uri: `${business.url}/early` });
    expect(registered.status).toBe(201);
    const [request] = await waitFor(() => requestsTo('/early').length === 1 && requestsTo('/early'), { what: 'early push forwarded' });
    expect(request?.body.toString()).toBe(early);
    expect((await traceWhen('early-1', (trace) => trace.status === 'delivered')).late).toBe(false);
  });

  it('forwards a push that WeChat repeats only once, and records a repeat with another verdict as a conflict', async () => {
    await register(relay, { trace_id: 'dup-1', server_uri: `${business.url}/dup` });
    const first = mediaCheckJson('dup-1', 'pass');
    for (let i = 0; i < 3; i += 1) expect((await push(relay, first)).text).toBe('success');
    const repeated = first.replace('1626959646', '1626959650');
    expect((await push(relay, repeated)).text).toBe('success');
    const conflicting = mediaCheckJson('dup-1', 'risky');
    expect((await push(relay, conflicting)).text).toBe('success');
    const trace = await traceWhen('dup-1', (item) => item.status === 'delivered');
    expect(trace.callback.duplicates).toBe(3);
    expect(trace.conflicts).toHaveLength(1);
    expect(trace.conflicts[0].body).toBe(conflicting);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(requestsTo('/dup')).toHaveLength(1);
    expect(requestsTo('/dup')[0]?.body.toString()).toBe(first);
  });

  it('keeps trace ids of different apps apart', async () => {
    await register(relay, { trace_id: 'same-id', server_uri: `${business.url}/app-default` });
    const other = await register(relay, { trace_id: 'same-id', server_uri: `${business.url}/app-other`, app_id: 'wx-other' });
    // Only configured apps may be named; with none configured the default app is the only one.
    expect(other.status).toBe(201);
  });

  it('exposes health, readiness and Prometheus metrics', async () => {
    expect((await send('GET', `${relay.url}/healthz`)).status).toBe(200);
    expect((await send('GET', `${relay.url}/readyz`)).body).toMatchObject({ status: 'ready', storage: { dialect: 'sqlite' } });
    const metrics = await send('GET', `${relay.url}/metrics`);
    expect(metrics.status).toBe(200);
    for (const name of ['relay_pushes_received_total', 'relay_registrations_total', 'relay_deliveries_total', 'relay_delivery_attempts_total', 'relay_delivery_attempt_duration_seconds_bucket', 'relay_traces_pending', 'relay_callbacks_parked', 'relay_deadline_sweep_duration_seconds']) {
      expect(metrics.text).toContain(name);
    }
    expect(metrics.text).toMatch(/relay_pushes_received_total\{outcome="duplicate"\} 3/);
  });
});

describe('a trace the relay itself cannot handle', () => {
  it('ends in failed with CALLBACK_ERROR, after one attempt, never retried', async () => {
    const relay = await startRelay();
    try {
      // Written straight through the store, past the API's validation, as an old row or a manual edit could be.
      await relay.app.store.register({ appId: 'default', traceId: 'broken-1', serverUri: 'gopher://nowhere/x', deadlineAt: Date.now() + 60_000 }, Date.now());
      expect((await push(relay, mediaCheckJson('broken-1'))).text).toBe('success');
      const trace = await waitFor(async () => {
        const body = (await getTrace(relay, 'broken-1')).body;
        return body.status === 'failed' ? body : undefined;
      });
      expect(trace.error).toBe('CALLBACK_ERROR');
      expect(trace.attempts).toHaveLength(1);
      expect(trace.attempts[0]).toMatchObject({ outcome: 'refused', http_status: null });
      expect(trace.attempts[0].error).toContain('gopher');
    } finally {
      await relay.close();
    }
  });
});
