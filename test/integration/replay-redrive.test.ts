import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';
import { redriveFailed } from '../../src/replay/redrive-failed.ts';
import type { RelayStore } from '../../src/storage/relay-store.ts';

describe('replay and redrive', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay();
    // /gone-… answers 410 (fails at once) until a test heals it.
    business = await BusinessServer.start((request) => (request.path.startsWith('/gone') ? 410 : 200));
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
  const replay = (traceId: string, query = '') => send('POST', `${relay.url}/api/moderate/trace/${encodeURIComponent(traceId)}/replay${query}`);
  const redrive = (body: object | string) => send('POST', `${relay.url}/api/admin/redrive`, body);
  const audit = async () => (await send('GET', `${relay.url}/api/admin/audit`)).body.entries as any[];

  it('replays a delivered verdict as a new delivery, recorded and audited', async () => {
    await register(relay, { trace_id: 'rp-1', server_uri: `${business.url}/rp-1` });
    const verdict = mediaCheckJson('rp-1', 'risky');
    await push(relay, verdict);
    await traceWhen('rp-1', (trace) => trace.status === 'delivered');

    const answer = await replay('rp-1');
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ kind: 'callback', trace_id: 'rp-1' });
    expect(answer.body.delivery_id).toMatch(/^[0-9a-f-]{36}$/);

    const trace = await traceWhen('rp-1', (item) => item.status === 'delivered' && item.deliveries.length === 2 && item.deliveries[1].status === 'delivered');
    expect(trace.deliveries[1]).toMatchObject({ id: answer.body.delivery_id, source: 'replay', requested_by: 'loopback' });
    expect(trace.deliveries[0].source).toBeNull();
    expect(trace.attempts.map((attempt: any) => attempt.delivery_id)).toContain(answer.body.delivery_id);
    const [first, second] = requestsTo('/rp-1');
    expect(second?.body.equals(first!.body)).toBe(true);
    expect(second?.body.toString()).toBe(verdict);
    expect(second?.headers['x-relay-delivery-id']).toBe(answer.body.delivery_id);
    expect(second?.headers['x-relay-delivery-id']).not.toBe(first?.headers['x-relay-delivery-id']);

    expect(await audit()).toContainEqual(expect.objectContaining({
      actor: 'loopback', action: 'replay', trace_id: 'rp-1', delivery_id: answer.body.delivery_id, app_id: 'default',
    }));
  });

  it('replays the timeout notice of a trace that never got a verdict', async () => {
    await register(relay, { trace_id: 'rp-2', server_uri: `${business.url}/rp-2`, timeout_s: 1 });
    await traceWhen('rp-2', (trace) => trace.status === 'timed_out' && trace.deliveries[0]?.status === 'delivered');
    const answer = await replay('rp-2', '?app_id=default');
    expect(answer.status).toBe(202);
    expect(answer.body.kind).toBe('timeout');
    await waitFor(() => requestsTo('/rp-2').length === 2, { what: 'the replayed notice' });
    const [notice, replayed] = requestsTo('/rp-2');
    expect(replayed?.headers['x-relay-event']).toBe('callback.timeout');
    expect(replayed?.body.equals(notice!.body)).toBe(true);
    const trace = (await getTrace(relay, 'rp-2')).body;
    expect(trace.status).toBe('timed_out');
  });

  it('answers 404 for an unknown trace and 409 for a trace that is still pending, storing nothing', async () => {
    const before = (await audit()).length;
    const unknown = await replay('no-such-trace');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    expect((await replay('rp-1', '?app_id=other-app')).status).toBe(404);
    await register(relay, { trace_id: 'rp-3', server_uri: `${business.url}/rp-3` });
    const pending = await replay('rp-3');
    expect(pending.status).toBe(409);
    expect(pending.body.error.code).toBe('NOTHING_TO_REPLAY');
    expect((await getTrace(relay, 'rp-3')).body.deliveries).toEqual([]);
    expect((await audit()).length).toBe(before);
  });

  it('redrives failed traces by destination and time, with a dry-run count first', async () => {
    const since = new Date().toISOString();
    for (const id of ['rd-1', 'rd-2', 'rd-3']) await register(relay, { trace_id: id, server_uri: `${business.url}/gone-a/${id}` });
    await register(relay, { trace_id: 'rd-4', server_uri: `${business.url}/gone-b/rd-4` });
    for (const id of ['rd-1', 'rd-2', 'rd-3', 'rd-4']) await push(relay, mediaCheckJson(id));
    for (const id of ['rd-1', 'rd-2', 'rd-3', 'rd-4']) await traceWhen(id, (trace) => trace.status === 'failed');

    const prefix = `${business.url}/gone-a/`;
    const dry = await redrive({ status: 'failed', destination_prefix: prefix, since, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({ matched: 3, redriven: 0, dry_run: true });
    expect((await redrive({ status: 'failed', destination_prefix: prefix, until: since, dry_run: true })).body.matched).toBe(0);
    expect((await redrive({ status: 'failed', app_id: 'other-app', dry_run: true })).body.matched).toBe(0);
    expect((await getTrace(relay, 'rd-1')).body.status).toBe('failed');

    business.respondWith(() => 200);
    const done = await redrive({ status: 'failed', destination_prefix: prefix, since });
    expect(done.body).toEqual({ matched: 3, redriven: 3, dry_run: false });
    for (const id of ['rd-1', 'rd-2', 'rd-3']) {
      const trace = await traceWhen(id, (item) => item.status === 'delivered');
      expect(trace.deliveries[1]).toMatchObject({ source: 'redrive', requested_by: 'loopback', status: 'delivered' });
      expect(trace.attempts.at(-1)).toMatchObject({ outcome: 'success', http_status: 200 });
    }
    expect((await getTrace(relay, 'rd-4')).body.status).toBe('failed');
    const entries = await audit();
    expect(entries).toContainEqual(expect.objectContaining({ action: 'redrive', actor: 'loopback', detail: expect.objectContaining({ matched: 3, redriven: 3 }) }));
    expect(entries).toContainEqual(expect.objectContaining({ action: 'redrive_dry_run', detail: expect.objectContaining({ matched: 3, redriven: 0 }) }));
    business.respondWith((request) => (request.path.startsWith('/gone') ? 410 : 200));
  });

  it('walks a huge range a page at a time, never more than a page in hand', async () => {
    const ids = Array.from({ length: 7 }, (_, index) => `pg-${index}`);
    for (const id of ids) await register(relay, { trace_id: id, server_uri: `${business.url}/gone-p/${id}` });
    for (const id of ids) await push(relay, mediaCheckJson(id));
    for (const id of ids) await traceWhen(id, (trace) => trace.status === 'failed');
    const pages: number[] = [];
    const store = relay.app.store;
    // The real store, with each page's size noted on the way through.
    const counting = new Proxy(store, {
      get(target, name) {
        if (name === 'redriveFailedPage') {
          return async (...args: Parameters<RelayStore['redriveFailedPage']>) => {
            const page = await target.redriveFailedPage(...args);
            pages.push(page.scanned);
            return page;
          };
        }
        const value = Reflect.get(target, name) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    business.respondWith(() => 200);
    const result = await redriveFailed({ store: counting, clock: { now: () => Date.now() }, onNewDelivery: () => relay.app.worker?.wake() },
      { destinationPrefix: `${business.url}/gone-p/`, since: 0, until: Date.parse('2200-01-01') }, false, 'loopback', 3);
    expect(result).toEqual({ matched: 7, redriven: 7 });
    expect(pages).toEqual([3, 3, 1]);
    for (const id of ids) await traceWhen(id, (trace) => trace.status === 'delivered');
  });

  it('refuses a malformed redrive with a coded 400 and redrives nothing', async () => {
    for (const body of [{ status: 'delivered' }, { status: 'failed', since: 'yesterday' }, { status: 'failed', dry_run: 'yes' },
      { status: 'failed', since: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' }, [1, 2], { status: 'failed', app_id: 'a b' }]) {
      const answer = await redrive(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toMatch(/^INVALID_/);
    }
    expect((await send('POST', `${relay.url}/api/admin/redrive`, 'not json{', { 'content-type': 'application/json' })).status).toBe(400);
  });
});

describe('replay and redrive behind API keys', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_API_KEYS: 'key-one-12345,key-two-67890' });
  });
  afterAll(async () => relay.close());

  it('answers 401 without a valid key and records the key id, never the key, as the actor', async () => {
    const auth = { authorization: 'Bearer key-two-67890' };
    expect((await send('POST', `${relay.url}/api/moderate/trace/x/replay`)).status).toBe(401);
    expect((await send('POST', `${relay.url}/api/moderate/trace/x/replay`, undefined, { authorization: 'Bearer wrong-key-000' })).status).toBe(401);
    expect((await send('POST', `${relay.url}/api/admin/redrive`, { status: 'failed' })).status).toBe(401);
    expect((await send('GET', `${relay.url}/api/admin/audit`)).status).toBe(401);
    expect((await send('POST', `${relay.url}/api/moderate/trace/x/replay`, undefined, auth)).status).toBe(404);
    const result = await send('POST', `${relay.url}/api/admin/redrive`, { status: 'failed' }, auth);
    expect(result.body).toEqual({ matched: 0, redriven: 0, dry_run: false });
    const entries = (await send('GET', `${relay.url}/api/admin/audit`, undefined, auth)).body.entries;
    expect(entries).toHaveLength(1);
    expect(entries[0].actor).toMatch(/^key:[0-9a-f]{12}$/);
    expect(JSON.stringify(entries)).not.toContain('key-two');
  });
});
