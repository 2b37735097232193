import { inflateSync } from 'node:zlib';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeWechatApi, type FakeWechatApi, type FakeWechatApiOptions } from '../../src/simulator/fake-wechat-api.ts';

const APP = { appId: 'wx8f16a5be77871234', secret: 'b3f1c2d4e5f60718293a4b5c6d7e8f90' };
const OPENID = 'o4_t144jTUSEoxydysUA2E234_tc';
const RID = / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let fake: FakeWechatApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A clock the test moves; starts at a fixed instant so day boundaries are known. */
function manualClock(start = Date.parse('2026-03-02T01:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

async function start(options: Partial<FakeWechatApiOptions> = {}): Promise<FakeWechatApi> {
  fake = await startFakeWechatApi({ apps: [APP], ...options });
  return fake;
}

interface Reply { status: number; contentType: string; bytes: Buffer; json: any }

async function call(api: FakeWechatApi, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const response = await request(`${api.url}${path}`, { method, body: payload, headers: { 'content-type': 'application/json' } });
  const bytes = Buffer.from(await response.body.arrayBuffer());
  const contentType = String(response.headers['content-type'] ?? '');
  return { status: response.statusCode, contentType, bytes, json: contentType.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) : undefined };
}

const stableToken = (api: FakeWechatApi, extra: Record<string, unknown> = {}) =>
  call(api, 'POST', '/cgi-bin/stable_token', { grant_type: 'client_credential', appid: APP.appId, secret: APP.secret, ...extra });

async function token(api: FakeWechatApi): Promise<string> {
  const reply = await stableToken(api);
  expect(reply.json.access_token).toEqual(expect.any(String));
  return reply.json.access_token as string;
}

const mediaCheckBody = { media_url: 'https://example.com/a.jpg', media_type: 2, version: 2, scene: 1, openid: OPENID };
const mediaCheck = (api: FakeWechatApi, accessToken: string, body: unknown = mediaCheckBody) =>
  call(api, 'POST', `/wxa/media_check_async?access_token=${encodeURIComponent(accessToken)}`, body);

describe('fake WeChat API: stable_token', () => {
  it('normal mode returns the same long token while it is valid, with no errcode', async () => {
    const api = await start();
    const first = await stableToken(api);
    const second = await stableToken(api, { force_refresh: false });
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^application\/json/);
    expect(first.json).not.toHaveProperty('errcode');
    expect(first.json.access_token.length).toBeGreaterThanOrEqual(100);
    expect(first.json.expires_in).toBeGreaterThan(7000);
    expect(first.json.expires_in).toBeLessThanOrEqual(7200);
    expect(second.json.access_token).toBe(first.json.access_token);
    expect(api.counters.stableToken).toBe(2);
    expect(api.counters.calls.get('/cgi-bin/stable_token')).toBe(2);
    expect(api.currentToken(APP.appId)).toBe(first.json.access_token);
  });

  it('refuses wrong credentials and grant types with WeChat\'s codes and a rid', async () => {
    const api = await start();
    const wrongSecret = await stableToken(api, { secret: 'nope' });
    expect(wrongSecret.status).toBe(200);
    expect(wrongSecret.json.errcode).toBe(40125);
    expect(wrongSecret.json.errmsg).toMatch(/^invalid appsecret/);
    expect(wrongSecret.json.errmsg).toMatch(RID);
    expect((await stableToken(api, { appid: 'wx0000000000000000' })).json.errcode).toBe(40013);
    expect((await stableToken(api, { grant_type: 'password' })).json.errcode).toBe(40002);
    expect((await call(api, 'POST', '/cgi-bin/stable_token', { appid: APP.appId, secret: APP.secret })).json.errcode).toBe(40002);
    expect((await stableToken(api, { appid: undefined })).json.errcode).toBe(41002);
    expect((await stableToken(api, { force_refresh: 'yes' })).json.errcode).toBe(47001);
    expect((await call(api, 'GET', '/cgi-bin/stable_token')).json.errcode).toBe(43002);
    expect(api.counters.stableToken).toBe(7);
  });

  it('answers 47001 to garbage JSON and keeps serving', async () => {
    const api = await start();
    for (const garbage of ['{"grant_type":', 'not json', '[1,2]', '"client_credential"', '\u0000\u00ff']) {
      const reply = await call(api, 'POST', '/cgi-bin/stable_token', garbage);
      expect(reply.json.errcode).toBe(47001);
      expect(reply.json.errmsg).toMatch(/^data format error rid: /);
    }
    expect((await call(api, 'POST', '/cgi-bin/stable_token', '')).json.errcode).toBe(44002);
    expect((await stableToken(api)).json.access_token).toEqual(expect.any(String));
  });

  it('counts expires_in down, renews 5 minutes before expiry and then expires the old token (42001)', async () => {
    const clock = manualClock();
    const api = await start({ clock });
    const old = await token(api);
    clock.advance(3_600_000);
    expect((await stableToken(api)).json).toEqual({ access_token: old, expires_in: 3600 });
    clock.advance(3_400_000);
    const renewed = await stableToken(api);
    expect(renewed.json.access_token).not.toBe(old);
    expect(renewed.json.expires_in).toBe(7200);
    expect((await mediaCheck(api, old)).json.errcode).toBe(0);
    clock.advance(200_000);
    const expired = await mediaCheck(api, old);
    expect(expired.json.errcode).toBe(42001);
    expect(expired.json.errmsg).toMatch(/^access_token expired/);
    expect((await mediaCheck(api, renewed.json.access_token)).json.errcode).toBe(0);
    expect(api.counters.rejectedTokens).toBe(1);
  });

  it('force_refresh issues a new token, kills the old one, and will not refresh again within 30 s', async () => {
    const clock = manualClock();
    const api = await start({ clock });
    const old = await token(api);
    const forced = await stableToken(api, { force_refresh: true });
    expect(forced.json.access_token).not.toBe(old);
    expect((await mediaCheck(api, old)).json.errcode).toBe(40001);
    clock.advance(10_000);
    // WeChat's page: forced calls at least 30 s apart, "否则不会刷新" — the current token comes back.
    const tooSoon = await stableToken(api, { force_refresh: true });
    expect(tooSoon.json).not.toHaveProperty('errcode');
    expect(tooSoon.json.access_token).toBe(forced.json.access_token);
    expect((await mediaCheck(api, forced.json.access_token)).json.errcode).toBe(0);
    clock.advance(30_000);
    const later = await stableToken(api, { force_refresh: true });
    expect(later.json.access_token).not.toBe(forced.json.access_token);
    expect(api.counters.forcedRefresh).toBe(3);
  });

  it('allows 20 forced refreshes a Beijing day, then answers 45009', async () => {
    const clock = manualClock();
    const api = await start({ clock });
    for (let index = 0; index < 20; index += 1) {
      expect((await stableToken(api, { force_refresh: true })).json.access_token).toEqual(expect.any(String));
      clock.advance(31_000);
    }
    const spent = await stableToken(api, { force_refresh: true });
    expect(spent.json.errcode).toBe(45009);
    expect((await stableToken(api)).json.access_token).toEqual(expect.any(String));
    clock.advance(24 * 3_600_000);
    expect((await stableToken(api, { force_refresh: true })).json.access_token).toEqual(expect.any(String));
  });

  it('invalidateToken stops the token at once; the next normal call issues a new one', async () => {
    const api = await start();
    const old = await token(api);
    api.invalidateToken(APP.appId);
    expect(api.currentToken(APP.appId)).toBeUndefined();
    const refused = await mediaCheck(api, old);
    expect(refused.json.errcode).toBe(40001);
    expect(refused.json.errmsg).toMatch(/^invalid credential, access_token is invalid or not latest rid: /);
    expect(api.counters.rejectedTokens).toBe(1);
    const fresh = await token(api);
    expect(fresh).not.toBe(old);
    expect(api.currentToken(APP.appId)).toBe(fresh);
    expect((await mediaCheck(api, fresh)).json.errcode).toBe(0);
  });
});

describe('fake WeChat API: legacy cgi-bin/token', () => {
  it('issues a new token each call, leaves the previous one 5 minutes, and is counted', async () => {
    const clock = manualClock();
    const api = await start({ clock });
    const stable = await token(api);
    const query = `grant_type=client_credential&appid=${APP.appId}&secret=${APP.secret}`;
    const first = await call(api, 'GET', `/cgi-bin/token?${query}`);
    const second = await call(api, 'GET', `/cgi-bin/token?${query}`);
    expect(first.json.expires_in).toBe(7200);
    expect(second.json.access_token).not.toBe(first.json.access_token);
    expect((await mediaCheck(api, first.json.access_token)).json.errcode).toBe(0);
    clock.advance(300_000);
    expect((await mediaCheck(api, first.json.access_token)).json.errcode).toBe(40001);
    expect((await mediaCheck(api, second.json.access_token)).json.errcode).toBe(0);
    expect((await mediaCheck(api, stable)).json.errcode).toBe(0);
    expect((await call(api, 'GET', `/cgi-bin/token?grant_type=client_credential&appid=${APP.appId}&secret=x`)).json.errcode).toBe(40125);
    expect(api.counters.legacyToken).toBe(3);
    expect(api.counters.stableToken).toBe(1);
  });
});

describe('fake WeChat API: media_check_async', () => {
  it('accepts a valid v2 request with a fresh trace_id and records it', async () => {
    const api = await start();
    const accessToken = await token(api);
    const first = await mediaCheck(api, accessToken);
    const second = await mediaCheck(api, accessToken, { ...mediaCheckBody, media_type: 1, scene: 4 });
    expect(first.json).toEqual({ errcode: 0, errmsg: 'ok', trace_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/) });
    expect(second.json.trace_id).not.toBe(first.json.trace_id);
    expect(api.mediaChecks).toEqual([
      { appId: APP.appId, traceId: first.json.trace_id, body: mediaCheckBody },
      { appId: APP.appId, traceId: second.json.trace_id, body: { ...mediaCheckBody, media_type: 1, scene: 4 } },
    ]);
  });

  it('checks the token first, then each field', async () => {
    const api = await start();
    const accessToken = await token(api);
    const missing = await call(api, 'POST', '/wxa/media_check_async', mediaCheckBody);
    expect(missing.json.errcode).toBe(41001);
    expect(missing.json.errmsg).toMatch(/^access_token missing/);
    expect((await mediaCheck(api, 'bogus', { nothing: true })).json.errcode).toBe(40001);
    const cases: Array<[unknown, number]> = [
      [{ ...mediaCheckBody, media_url: undefined }, 47001],
      [{ ...mediaCheckBody, media_url: 'not a url' }, 47001],
      [{ ...mediaCheckBody, media_url: 'ftp://example.com/a.jpg' }, 47001],
      [{ ...mediaCheckBody, media_type: 3 }, 47001],
      [{ ...mediaCheckBody, media_type: '2' }, 47001],
      [{ ...mediaCheckBody, version: undefined }, 47001],
      [{ ...mediaCheckBody, version: 1 }, 47001],
      [{ ...mediaCheckBody, scene: 5 }, 40129],
      [{ ...mediaCheckBody, scene: '1' }, 47001],
      [{ ...mediaCheckBody, openid: undefined }, 47001],
      [{ ...mediaCheckBody, openid: 'o-user' }, 40003],
      ['{oops', 47001],
      ['', 44002],
    ];
    for (const [body, errcode] of cases) expect({ body, errcode: (await mediaCheck(api, accessToken, body)).json.errcode }).toEqual({ body, errcode });
    expect((await call(api, 'GET', `/wxa/media_check_async?access_token=${accessToken}`)).json.errcode).toBe(43002);
    expect(api.mediaChecks).toHaveLength(0);
    expect(api.counters.rejectedTokens).toBe(2);
  });
});

describe('fake WeChat API: msg_sec_check', () => {
  const body = { version: 2, openid: OPENID, scene: 2, content: 'hello there' };

  it('passes ordinary text and flags the word "risky" with label 20001', async () => {
    const api = await start();
    const accessToken = await token(api);
    const pass = await call(api, 'POST', `/wxa/msg_sec_check?access_token=${accessToken}`, body);
    expect(pass.json).toMatchObject({ errcode: 0, errmsg: 'ok', trace_id: expect.any(String), result: { suggest: 'pass', label: 100 } });
    expect(pass.json.detail[0]).toMatchObject({ strategy: 'content_model', errcode: 0, suggest: 'pass', label: 100 });
    const risky = await call(api, 'POST', `/wxa/msg_sec_check?access_token=${accessToken}`, { ...body, content: 'this is Risky stuff' });
    expect(risky.json.result).toEqual({ suggest: 'risky', label: 20001 });
    expect(risky.json.detail).toContainEqual(expect.objectContaining({ strategy: 'keyword', suggest: 'risky', label: 20001 }));
  });

  it('refuses content over 2 500 characters, a bad scene and a bad openid', async () => {
    const api = await start();
    const path = `/wxa/msg_sec_check?access_token=${await token(api)}`;
    expect((await call(api, 'POST', path, { ...body, content: '字'.repeat(2500) })).json.errcode).toBe(0);
    expect((await call(api, 'POST', path, { ...body, content: '字'.repeat(2501) })).json.errcode).toBe(47001);
    expect((await call(api, 'POST', path, { ...body, scene: 0 })).json.errcode).toBe(40129);
    expect((await call(api, 'POST', path, { ...body, openid: 'short' })).json.errcode).toBe(40003);
    expect((await call(api, 'POST', path, { ...body, version: 1 })).json.errcode).toBe(47001);
    expect((await call(api, 'POST', '/wxa/msg_sec_check?access_token=nope', body)).json.errcode).toBe(40001);
  });
});

describe('fake WeChat API: getwxacodeunlimit', () => {
  it('answers a PNG as image/png on success and JSON on error', async () => {
    const api = await start();
    const path = `/wxa/getwxacodeunlimit?access_token=${await token(api)}`;
    const image = await call(api, 'POST', path, { scene: 'id=42', page: 'pages/index/index', width: 280 });
    expect(image.status).toBe(200);
    expect(image.contentType).toBe('image/png');
    expect(image.bytes.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(image.bytes.toString('latin1', 12, 16)).toBe('IHDR');
    expect(image.bytes.readUInt32BE(16)).toBe(280);
    const idat = image.bytes.indexOf('IDAT');
    expect(inflateSync(image.bytes.subarray(idat + 4, idat + 4 + image.bytes.readUInt32BE(idat - 4)))).toHaveLength(281 * 280);
    const other = await call(api, 'POST', path, { scene: 'id=43', page: 'pages/index/index', width: 280 });
    expect(other.bytes.equals(image.bytes)).toBe(false);
    expect((await call(api, 'POST', path, { scene: 'a', width: 5000 })).bytes.readUInt32BE(16)).toBe(1280);

    const badToken = await call(api, 'POST', '/wxa/getwxacodeunlimit?access_token=nope', { scene: 'a' });
    expect(badToken.contentType).toMatch(/^application\/json/);
    expect(badToken.json.errcode).toBe(40001);
    expect((await call(api, 'POST', path, { page: 'pages/index/index' })).json.errcode).toBe(47001);
    expect((await call(api, 'POST', path, { scene: 'x'.repeat(33) })).json.errcode).toBe(40169);
    expect((await call(api, 'POST', path, { scene: 'a', page: '/pages/index/index' })).json.errcode).toBe(41030);
  });
});

describe('fake WeChat API: transport', () => {
  it('setDown makes requests fail without an answer, and not count; back up it answers again', async () => {
    const api = await start();
    api.setDown(true);
    await expect(stableToken(api)).rejects.toThrow();
    expect(api.counters.stableToken).toBe(0);
    api.setDown(false);
    expect((await stableToken(api)).json.access_token).toEqual(expect.any(String));
  });

  it('refuses a body over 1 MB with 413, answers unknown paths 404, and waits latencyMs', async () => {
    const api = await start({ latencyMs: 150 });
    const big = await call(api, 'POST', '/cgi-bin/stable_token', Buffer.alloc(1024 * 1024 + 1, 0x20));
    expect(big.status).toBe(413);
    const unknown = await call(api, 'GET', '/cgi-bin/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.json.errcode).toBe(-1);
    expect(api.counters.calls.get('/cgi-bin/nothing-here')).toBe(1);
    const started = performance.now();
    await stableToken(api);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});
