import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type RelayApp } from '../../src/app/build-app.ts';
import { createRelayLogger } from '../../src/app/relay-logger.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { startFakeWechatApi, type FakeWechatApi } from '../../src/simulator/fake-wechat-api.ts';
import { BusinessServer } from '../helpers/business-server.ts';
import { createBackendDatabase, getTrace, push, send } from '../helpers/relay-harness.ts';
import { randomBytes } from 'node:crypto';
import { countRows, currentBackend, isRedisRun, SERVICE_URLS } from '../helpers/test-backends.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

const APP = 'wx8f16a5be77871234';
const SECRET = 'the-app-secret-never-logged-0123';
const KEY = 'relay-key-for-the-team-0123456789';
const OPENID = 'o4_t144jTUSEoxydysUA2E234_tc';
const mediaCheck = JSON.stringify({ media_url: 'https://cdn.example.com/a.png', media_type: 2, version: 2, scene: 1, openid: OPENID });
const textCheck = (content: string) => JSON.stringify({ version: 2, openid: OPENID, scene: 2, content });

interface ProxyRelay {
  url: string;
  app: RelayApp;
  databaseUrl: string;
  /** Every line the relay logged, at debug level. */
  log: string[];
  close(): Promise<void>;
}

/** A relay holding the app's token against the fake WeChat API, with its whole log kept for inspection. */
async function startProxyRelay(fake: FakeWechatApi, env: Record<string, string> = {}, databaseUrl?: string): Promise<ProxyRelay> {
  const database = databaseUrl ? undefined : await createBackendDatabase();
  const url = databaseUrl ?? database!.url;
  const log: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { log.push(chunk.toString('utf8')); done(); } });
  const config = loadConfig({
    HOST: '127.0.0.1', PORT: '0', RELAY_RETRY_SCHEDULE: '100ms,100ms', RELAY_SWEEP_INTERVAL_MS: '50', RELAY_ACCEPT_UNSIGNED_PUSHES: 'true', RELAY_DB_POOL_MAX: '4',
    WECHAT_APPID: APP, WECHAT_APP_SECRET: SECRET, WECHAT_API_BASE: fake.url, LOG_LEVEL: 'debug',
    ...(isRedisRun() ? { REDIS_URL: SERVICE_URLS.redis, RELAY_REDIS_KEY_PREFIX: `relay-test-${randomBytes(6).toString('hex')}:` } : {}), ...env, DATABASE_URL: url,
  });
  const app = await buildApp({ config, logger: createRelayLogger(config.logLevel, sink), wechatApiTimeoutMs: 1500 });
  const address = await app.start();
  return { url: address ?? '', app, databaseUrl: url, log, async close() { await app.close(); await database?.drop(); } };
}

const call = (relay: ProxyRelay, path: string, body: string, headers: Record<string, string> = {}) =>
  send('POST', `${relay.url}/wxapi/${path}`, body, { 'content-type': 'application/json', ...headers });

describe('WeChat\'s server API through the relay', { timeout: 60_000 }, () => {
  let fake: FakeWechatApi;
  let relay: ProxyRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    fake = await startFakeWechatApi({ apps: [{ appId: APP, secret: SECRET }] });
    relay = await startProxyRelay(fake);
    business = await BusinessServer.start(() => 200);
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
    await fake.close();
  });

  it('registers a media check made through it, so the pushed verdict reaches the server that never registered', async () => {
    const answer = await call(relay, 'wxa/media_check_async', mediaCheck, { 'x-relay-server-uri': `${business.url}/wx/media-check` });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-relay-trace-registered']).toBe('true');
    const traceId = (answer.body as { trace_id: string }).trace_id;
    expect(fake.mediaChecks.map((check) => check.traceId)).toContain(traceId);
    expect((await getTrace(relay, traceId)).body).toMatchObject({ status: 'pending', server_uri: `${business.url}/wx/media-check` });
    await push(relay, mediaCheckJson(traceId, 'risky', APP));
    await waitFor(() => business.requests.find((item) => item.headers['x-relay-trace-id'] === traceId), { what: 'the verdict at the business server' });
    expect(fake.counters.legacyToken).toBe(0);
  });

  it('refuses a bad x-relay-server-uri before WeChat is called, and registers nothing when WeChat answers an errcode', async () => {
    const before = fake.counters.calls.get('/wxa/media_check_async') ?? 0;
    const bad = await call(relay, 'wxa/media_check_async', mediaCheck, { 'x-relay-server-uri': 'ftp://files.example.com/' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'INVALID_SERVER_URI' } });
    expect(fake.counters.calls.get('/wxa/media_check_async') ?? 0).toBe(before);
    const traces = await countRows(relay.databaseUrl, 'relay_traces');
    const refused = await call(relay, 'wxa/media_check_async', JSON.stringify({ ...JSON.parse(mediaCheck), openid: 'short' }), { 'x-relay-server-uri': `${business.url}/wx` });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ errcode: 40003 });
    expect(refused.headers['x-relay-trace-registered']).toBeUndefined();
    expect(await countRows(relay.databaseUrl, 'relay_traces')).toBe(traces);
  });

  it('refuses a bad x-relay-timeout-s, the header on another API and a path that climbs out, before WeChat is called', async () => {
    const calls = [...fake.counters.calls.values()].reduce((sum, count) => sum + count, 0);
    const traces = await countRows(relay.databaseUrl, 'relay_traces');
    const badTimeout = await call(relay, 'wxa/media_check_async', mediaCheck, { 'x-relay-server-uri': `${business.url}/wx`, 'x-relay-timeout-s': 'soon' });
    expect(badTimeout.status).toBe(400);
    expect(badTimeout.body).toMatchObject({ error: { code: 'INVALID_FIELD' } });
    const elsewhere = await call(relay, 'wxa/msg_sec_check', textCheck('x'), { 'x-relay-server-uri': `${business.url}/wx` });
    expect(elsewhere.body).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    expect((await call(relay, 'wxa/..%2Fcgi-bin%2Ftoken', '{}')).status).toBe(404);
    expect([...fake.counters.calls.values()].reduce((sum, count) => sum + count, 0)).toBe(calls);
    expect(await countRows(relay.databaseUrl, 'relay_traces')).toBe(traces);
  });

  it('passes a binary answer back byte for byte with its content type', async () => {
    const body = JSON.stringify({ scene: 'a=1', width: 280 });
    const viaRelay = await request(`${relay.url}/wxapi/wxa/getwxacodeunlimit`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const bytes = Buffer.from(await viaRelay.body.arrayBuffer());
    const direct = await request(`${fake.url}/wxa/getwxacodeunlimit?access_token=${encodeURIComponent(fake.currentToken(APP)!)}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(viaRelay.headers['content-type']).toBe('image/png');
    expect(bytes.equals(Buffer.from(await direct.body.arrayBuffer()))).toBe(true);
  });

  it('answers 1 000 concurrent calls with one stable_token call, and a token invalidated mid-run with one renewal and no failed call', async () => {
    const fresh = await startFakeWechatApi({ apps: [{ appId: APP, secret: SECRET }] });
    const other = await startProxyRelay(fresh);
    try {
      const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => call(other, 'wxa/msg_sec_check', textCheck(`hello ${i}`))));
      expect(answers.filter((answer) => (answer.body as { errcode?: number }).errcode !== 0)).toEqual([]);
      expect(fresh.counters.stableToken).toBe(1);
      const run = Array.from({ length: 200 }, async (_, i) => {
        if (i === 100) fresh.invalidateToken(APP);
        return call(other, 'wxa/msg_sec_check', textCheck(`again ${i}`));
      });
      const second = await Promise.all(run);
      expect(second.filter((answer) => (answer.body as { errcode?: number }).errcode !== 0)).toEqual([]);
      expect(fresh.counters.stableToken).toBe(2);
      expect(fresh.counters.forcedRefresh).toBe(0);
    } finally {
      await other.close();
      await fresh.close();
    }
  });

  it('answers unknown apps with API_PROXY_DISABLED and WeChat being down or slow with 502 and 504, registering nothing', async () => {
    expect((await call(relay, 'wxa/msg_sec_check?app_id=wxunknown', textCheck('x'))).body).toMatchObject({ error: { code: 'API_PROXY_DISABLED' } });
    const traces = await countRows(relay.databaseUrl, 'relay_traces');
    fake.setDown(true);
    try {
      const down = await call(relay, 'wxa/media_check_async', mediaCheck, { 'x-relay-server-uri': `${business.url}/wx` });
      expect(down.status).toBe(502);
      expect(down.body).toMatchObject({ error: { code: 'WECHAT_API_UNREACHABLE' } });
    } finally {
      fake.setDown(false);
    }
    // The token is held already: only the call itself is slow.
    fake.setLatency(2500);
    try {
      const slow = await call(relay, 'wxa/media_check_async', mediaCheck, { 'x-relay-server-uri': `${business.url}/wx` });
      expect(slow.status).toBe(504);
      expect(slow.body).toMatchObject({ error: { code: 'WECHAT_API_TIMEOUT' } });
    } finally {
      fake.setLatency(0);
    }
    expect(await countRows(relay.databaseUrl, 'relay_traces')).toBe(traces);
  });

  it('lets a burst within WeChat\'s minute quota through and answers the call past it 429 with Retry-After, before WeChat does', async () => {
    const fresh = await startFakeWechatApi({ apps: [{ appId: APP, secret: SECRET }] });
    const other = await startProxyRelay(fresh);
    try {
      const burst = await Promise.all(Array.from({ length: 2000 }, () => call(other, 'wxa/media_check_async', mediaCheck)));
      expect(burst.filter((answer) => (answer.body as { errcode?: number }).errcode !== 0)).toEqual([]);
      const over = await call(other, 'wxa/media_check_async', mediaCheck);
      expect(over.status).toBe(429);
      expect(over.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(fresh.counters.calls.get('/wxa/media_check_async')).toBe(2000);
      // Another API has its own quota.
      expect((await call(other, 'wxa/msg_sec_check', textCheck('x'))).body).toMatchObject({ errcode: 0 });
    } finally {
      await other.close();
      await fresh.close();
    }
  });

  it('never writes the secret or a token to its log', () => {
    const whole = relay.log.join('');
    expect(whole.length).toBeGreaterThan(0);
    expect(whole).not.toContain(SECRET);
    expect(whole).not.toContain(fake.currentToken(APP));
  });
});

describe('WeChat SDKs pointed at the relay, and keys', { timeout: 60_000 }, () => {
  let fake: FakeWechatApi;
  let relay: ProxyRelay;
  beforeAll(async () => {
    fake = await startFakeWechatApi({ apps: [{ appId: APP, secret: SECRET }] });
    const file = await import('node:fs').then(async (fs) => {
      const path = `${(await import('node:os')).tmpdir()}/relay-scoped-${process.pid}-${Date.now()}.json`;
      fs.writeFileSync(path, JSON.stringify({ scopedApiKeys: [{ id: 'text-only', key: 'text-only-key-0123456789', apiPaths: ['wxa/msg_sec_check'] }] }));
      return path;
    });
    relay = await startProxyRelay(fake, { RELAY_API_KEYS: KEY, RELAY_CONFIG: file });
  });
  afterAll(async () => {
    await relay.close();
    await fake.close();
  });

  it('answers cgi-bin/token and cgi-bin/stable_token with the relay\'s token when the secret is a relay key, and WeChat\'s 40125 when not', async () => {
    const legacy = await send('GET', `${relay.url}/wxapi/cgi-bin/token?grant_type=client_credential&appid=${APP}&secret=${KEY}`);
    expect(legacy.body).toMatchObject({ access_token: fake.currentToken(APP) });
    expect((legacy.body as { expires_in: number }).expires_in).toBeGreaterThan(7000);
    const stable = await call(relay, 'cgi-bin/stable_token', JSON.stringify({ grant_type: 'client_credential', appid: APP, secret: KEY, force_refresh: true }));
    expect(stable.body).toMatchObject({ access_token: fake.currentToken(APP) });
    const wrong = await send('GET', `${relay.url}/wxapi/cgi-bin/token?grant_type=client_credential&appid=${APP}&secret=${SECRET}`);
    expect(wrong.body).toEqual({ errcode: 40125, errmsg: 'invalid appsecret' });
    expect(fake.counters.legacyToken).toBe(0);
    expect(fake.counters.forcedRefresh).toBe(0);
  });

  it('needs a key for the proxy and for /api/access-token, and keeps a key scoped to some paths to them', async () => {
    expect((await call(relay, 'wxa/msg_sec_check', textCheck('x'))).status).toBe(401);
    const token = await send('GET', `${relay.url}/api/access-token?app_id=${APP}`, undefined, { authorization: `Bearer ${KEY}` });
    expect(token.body).toMatchObject({ app_id: APP, access_token: fake.currentToken(APP) });
    const scoped = { authorization: 'Bearer text-only-key-0123456789' };
    expect((await call(relay, 'wxa/msg_sec_check', textCheck('x'), scoped)).body).toMatchObject({ errcode: 0 });
    expect((await call(relay, 'wxa/media_check_async', mediaCheck, scoped)).status).toBe(403);
    // Holding the token would let it call WeChat directly, any path: a path-scoped key never gets it.
    expect((await send('GET', `${relay.url}/api/access-token?app_id=${APP}`, undefined, scoped)).status).toBe(403);
    expect((await send('GET', `${relay.url}/wxapi/cgi-bin/token?grant_type=client_credential&appid=${APP}&secret=text-only-key-0123456789`)).body).toMatchObject({ errcode: 40125 });
  });

  it('serves an SDK that calls with the token it got from the relay, as WxJava does with apiHostUrl set to the relay', async () => {
    const { access_token: token } = (await send('GET', `${relay.url}/wxapi/cgi-bin/token?grant_type=client_credential&appid=${APP}&secret=${KEY}`)).body as { access_token: string };
    const answer = await send('POST', `${relay.url}/wxapi/wxa/msg_sec_check?access_token=${encodeURIComponent(token)}`, textCheck('risky words'), { 'content-type': 'application/json' });
    expect(answer.body).toMatchObject({ errcode: 0, result: { suggest: 'risky' } });
    expect((await send('POST', `${relay.url}/wxapi/wxa/msg_sec_check?access_token=not-the-token`, textCheck('x'), { 'content-type': 'application/json' })).status).toBe(401);
  });
});

describe('a renewal that fails', { timeout: 60_000 }, () => {
  it('shows in /readyz, the metrics and the log, answers 502 and does not hammer WeChat', async () => {
    const fake = await startFakeWechatApi({ apps: [{ appId: APP, secret: SECRET }] });
    const relay = await startProxyRelay(fake, { WECHAT_APP_SECRET: 'a-wrong-secret-0123456789' });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => call(relay, 'wxa/msg_sec_check', textCheck('x'))));
      expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([502]));
      expect(answers[0]!.body).toMatchObject({ error: { code: 'ACCESS_TOKEN_UNAVAILABLE' } });
      expect(fake.counters.stableToken).toBeLessThanOrEqual(2);
      const ready = await send('GET', `${relay.url}/readyz`);
      expect(ready.body).toMatchObject({ wechat_api: [{ app_id: APP, status: 'failing' }] });
      expect(JSON.stringify(ready.body)).toContain('40125');
      const metrics = await send('GET', `${relay.url}/metrics`);
      expect(metrics.text).toMatch(/relay_wechat_token_renewals_total\{app_id="wx8f16a5be77871234",outcome="failed"\} [1-9]/);
      expect(relay.log.join('')).toContain('access_token renewal failed');
      expect(relay.log.join('')).not.toContain('a-wrong-secret-0123456789');
    } finally {
      await relay.close();
      await fake.close();
    }
  });
});

describe.runIf(currentBackend() !== 'sqlite')('two instances on one database', { timeout: 60_000 }, () => {
  it('make one stable_token call per renewal between them', async () => {
    const fake = await startFakeWechatApi({ apps: [{ appId: APP, secret: SECRET }] });
    const first = await startProxyRelay(fake);
    const second = await startProxyRelay(fake, {}, first.databaseUrl);
    try {
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => call(i % 2 === 0 ? first : second, 'wxa/msg_sec_check', textCheck(`${i}`))));
      expect(answers.filter((answer) => (answer.body as { errcode?: number }).errcode !== 0)).toEqual([]);
      expect(fake.counters.stableToken).toBe(1);
      fake.invalidateToken(APP);
      const again = await Promise.all(Array.from({ length: 200 }, (_, i) => call(i % 2 === 0 ? first : second, 'wxa/msg_sec_check', textCheck(`${i}`))));
      expect(again.filter((answer) => (answer.body as { errcode?: number }).errcode !== 0)).toEqual([]);
      expect(fake.counters.stableToken).toBe(2);
    } finally {
      await second.close();
      await first.close();
      await fake.close();
    }
  });
});
