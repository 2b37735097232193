import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

describe('admin read API for the dashboard', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  const admin = (path: string) => send('GET', `${relay.url}${path}`);

  beforeAll(async () => {
    relay = await startRelay({ RELAY_RETRY_SCHEDULE: '50ms' });
    business = await BusinessServer.start((request) => (request.path.startsWith('/down') ? 500 : 200));
    for (let index = 0; index < 5; index++) await register(relay, { trace_id: `list-${index}`, server_uri: `${business.url}/up` });
    await register(relay, { trace_id: 'list-down', server_uri: `${business.url}/down` });
    for (const id of ['list-0', 'list-1', 'list-down']) await push(relay, mediaCheckJson(id));
    await waitFor(async () => (await admin('/api/admin/traces?status=failed')).body.traces.length === 1, { what: 'list-down failed' });
    await waitFor(async () => (await admin('/api/admin/traces?status=delivered')).body.traces.length === 2, { what: 'two delivered' });
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  it('lists traces newest first, filtered, and pages with next_cursor', async () => {
    const all = await admin('/api/admin/traces');
    expect(all.status).toBe(200);
    expect(all.body.traces.map((trace: { trace_id: string }) => trace.trace_id)).toEqual(['list-down', 'list-4', 'list-3', 'list-2', 'list-1', 'list-0']);
    expect(all.body.traces[0]).toMatchObject({ app_id: 'default', status: 'failed', error: 'BIZ_SERVER_ERROR', late: false, conflicts: 0, server_uri: `${business.url}/down` });
    expect(all.body.next_cursor).toBeNull();

    const first = await admin('/api/admin/traces?limit=4');
    expect(first.body.traces).toHaveLength(4);
    const second = await admin(`/api/admin/traces?limit=4&cursor=${first.body.next_cursor}`);
    expect(second.body.traces.map((trace: { trace_id: string }) => trace.trace_id)).toEqual(['list-1', 'list-0']);
    expect(second.body.next_cursor).toBeNull();

    const ids = async (query: string) => (await admin(`/api/admin/traces?${query}`)).body.traces.map((trace: { trace_id: string }) => trace.trace_id);
    expect(await ids('status=delivered')).toEqual(['list-1', 'list-0']);
    expect(await ids(`destination=${encodeURIComponent(`${business.url}/down`)}`)).toEqual(['list-down']);
    expect(await ids('q=list-d')).toEqual(['list-down']);
    expect(await ids('app_id=other')).toEqual([]);
    expect(await ids(`from=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    expect(await ids(`to=${new Date(Date.now() + 60_000).toISOString()}&status=pending`)).toEqual(['list-4', 'list-3', 'list-2']);
  });

  it('answers bad filters with 400 and a registry code', async () => {
    const cases: [string, string][] = [
      ['status=lost', 'INVALID_REQUEST'],
      ['limit=0', 'INVALID_REQUEST'],
      ['limit=1000', 'INVALID_REQUEST'],
      ['from=yesterday', 'INVALID_REQUEST'],
      ['cursor=bm90LWEtY3Vyc29y', 'INVALID_FIELD'],
      ['cursor=%00%00', 'INVALID_FIELD'],
    ];
    for (const [query, code] of cases) {
      const response = await admin(`/api/admin/traces?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code, query).toBe(code);
      expect(response.body.error.message).toEqual(expect.any(String));
    }
    expect((await admin('/api/admin/traces?status=lost')).body.error.message).toContain('allowed values');
  });

  it('reports destination health and leaves a place for the circuit state', async () => {
    const response = await admin('/api/admin/destination-health?window_s=600');
    expect(response.status).toBe(200);
    const byUri = Object.fromEntries(response.body.destinations.map((item: { destination: string }) => [item.destination, item]));
    expect(byUri[`${business.url}/up`]).toMatchObject({ attempts: 2, successes: 2, success_rate: 1, last_http_status: 200, last_outcome: 'success', open_deliveries: 0 });
    expect(byUri[`${business.url}/up`].circuit).toMatch(/^(closed|open|half_open)$/);
    expect(byUri[`${business.url}/down`]).toMatchObject({ attempts: 2, successes: 0, success_rate: 0, last_http_status: 500, last_outcome: 'http_error' });
    expect((await admin('/api/admin/destination-health?window_s=1')).status).toBe(400);
  });

  it('counts activity per bucket and refuses ranges it would not page through', async () => {
    const response = await admin('/api/admin/activity?bucket_s=3600');
    expect(response.status).toBe(200);
    expect(response.body.buckets).toHaveLength(24);
    const totals = response.body.buckets.reduce((sum: Record<string, number>, bucket: Record<string, number>) => {
      for (const key of ['pushes', 'delivered', 'failed', 'timed_out']) sum[key] = (sum[key] ?? 0) + (bucket[key] ?? 0);
      return sum;
    }, {});
    expect(totals).toEqual({ pushes: 3, delivered: 2, failed: 1, timed_out: 0 });
    const now = Date.now();
    const backwards = await admin(`/api/admin/activity?from=${new Date(now).toISOString()}&to=${new Date(now - 1000).toISOString()}`);
    expect(backwards.body.error.code).toBe('INVALID_FIELD');
    const tooMany = await admin(`/api/admin/activity?bucket_s=60&from=${new Date(now - 30 * 86_400_000).toISOString()}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ code: 'INVALID_FIELD', message: expect.stringContaining('bucket_s') });
  });

  it('serves the dashboard with security headers and no cache', async () => {
    const page = await admin('/dashboard');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    const script = await admin('/dashboard/app.js');
    expect(script.headers['content-type']).toContain('javascript');
    expect((await admin('/dashboard/../package.json')).status).toBe(404);
  });
});

describe('the admin read API and dashboard behind API keys', () => {
  let relay: TestRelay;
  const KEY = 'dashboard-test-key-1';
  beforeAll(async () => {
    relay = await startRelay({ RELAY_API_KEYS: KEY });
  });
  afterAll(async () => relay.close());

  it('wants the key as Bearer (scripts) or as a Basic password (browsers)', async () => {
    const none = await send('GET', `${relay.url}/api/admin/traces`);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHORIZED');
    expect((await send('GET', `${relay.url}/api/admin/traces`, undefined, { authorization: `Bearer ${KEY}` })).status).toBe(200);
    const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    expect((await send('GET', `${relay.url}/api/admin/traces`, undefined, { authorization: basic(KEY) })).status).toBe(200);
    expect((await send('GET', `${relay.url}/api/admin/traces`, undefined, { authorization: basic('wrong-key-xx') })).status).toBe(401);

    const page = await send('GET', `${relay.url}/dashboard`);
    expect(page.status).toBe(401);
    expect(page.headers['www-authenticate']).toContain('Basic realm="callback-relay"');
    expect(page.text).not.toContain(KEY);
    expect((await send('GET', `${relay.url}/dashboard/app.js`)).status).toBe(401);
    expect((await send('GET', `${relay.url}/dashboard`, undefined, { authorization: basic(KEY) })).status).toBe(200);
  });
});

describe('the trace and replay APIs with browser credentials', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  const KEY = 'dashboard-test-key-2';
  const basic = `Basic ${Buffer.from(`ops:${KEY}`).toString('base64')}`;
  const replay = (headers: Record<string, string>) => send('POST', `${relay.url}/api/moderate/trace/basic-1/replay`, {}, { authorization: basic, ...headers });
  const deliveries = async () => (await send('GET', `${relay.url}/api/moderate/trace/basic-1`, undefined, { authorization: basic })).body.deliveries.length;

  beforeAll(async () => {
    relay = await startRelay({ RELAY_API_KEYS: KEY });
    business = await BusinessServer.start(() => 200);
    await register(relay, { trace_id: 'basic-1', server_uri: `${business.url}/cb` }, { authorization: `Bearer ${KEY}` });
    await push(relay, mediaCheckJson('basic-1'));
    await waitFor(async () => (await send('GET', `${relay.url}/api/moderate/trace/basic-1`, undefined, { authorization: basic })).body.status === 'delivered', { what: 'basic-1 delivered' });
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  it('answers the trace page and its Replay button with the key given once as a Basic password', async () => {
    expect(await deliveries()).toBe(1);
    const answer = await replay({ 'sec-fetch-site': 'same-origin', origin: relay.url });
    expect(answer.status).toBe(202);
    expect(await deliveries()).toBe(2);
  });

  it('refuses a change another site\'s page sends with the browser\'s saved credentials, and changes nothing', async () => {
    // The replay above is sent and recorded first: a trace being delivered is not replayed.
    const open = async () => (await send('GET', `${relay.url}/api/moderate/trace/basic-1`, undefined, { authorization: basic })).body.deliveries
      .filter((delivery: { status: string }) => delivery.status === 'pending' || delivery.status === 'delivering').length;
    await waitFor(async () => (await open()) === 0, { what: 'the replay delivered' });
    const before = await deliveries();
    const forged: Array<Record<string, string>> = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://evil.example' }];
    for (const headers of forged) {
      const refused = await replay(headers);
      expect(refused.status, JSON.stringify(headers)).toBe(403);
      expect(refused.body.error.code).toBe('CROSS_ORIGIN_REFUSED');
    }
    // A Bearer key is never sent by a browser on its own: it passes wherever the request comes from.
    expect((await send('POST', `${relay.url}/api/moderate/trace/basic-1/replay`, {}, { authorization: `Bearer ${KEY}`, 'sec-fetch-site': 'cross-site' })).status).toBe(202);
    expect(await deliveries()).toBe(before + 1);
  });
});

describe('the operations endpoints behind the key (RELAY_PUBLIC_ENDPOINTS=none)', () => {
  let relay: TestRelay;
  let open: TestRelay;
  const KEY = 'ops-test-key-3';
  const basic = `Basic ${Buffer.from(`ops:${KEY}`).toString('base64')}`;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_API_KEYS: KEY, RELAY_PUBLIC_ENDPOINTS: 'none' });
    open = await startRelay({ RELAY_API_KEYS: KEY });
  });
  afterAll(async () => {
    await relay.close();
    await open.close();
  });

  it('asks a scraper for the key on /metrics and a browser on /docs and /openapi.json; probes stay open', async () => {
    const metrics = await send('GET', `${relay.url}/metrics`);
    expect(metrics.status).toBe(401);
    expect(metrics.body.error.code).toBe('UNAUTHORIZED');
    expect(metrics.text).not.toContain('relay_');
    const scraped = await send('GET', `${relay.url}/metrics`, undefined, { authorization: `Bearer ${KEY}` });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('# TYPE');
    for (const path of ['/docs', '/docs/static/index.html', '/openapi.json']) {
      const refused = await send('GET', `${relay.url}${path}`);
      expect(refused.status, path).toBe(401);
      expect(refused.headers['www-authenticate'], path).toContain('Basic realm="callback-relay"');
    }
    expect((await send('GET', `${relay.url}/openapi.json`, undefined, { authorization: basic })).status).toBe(200);
    // The docs page redirects to its own files; past the guard either way.
    expect([200, 302]).toContain((await send('GET', `${relay.url}/docs/static/index.html`, undefined, { authorization: basic })).status);
    for (const path of ['/healthz', '/readyz']) expect((await send('GET', `${relay.url}${path}`)).status, path).toBe(200);
  });

  it('leaves /metrics and the docs open by default', async () => {
    expect((await send('GET', `${open.url}/metrics`)).status).toBe(200);
    expect((await send('GET', `${open.url}/openapi.json`)).status).toBe(200);
  });
});
