import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock, type Clock } from '../time/clock.ts';
import {
  codePng, isError, mediaCheckProblem, msgSecCheckProblem, parseJsonObject, requestId, WECHAT_ERRORS as E, wxaCodeProblem,
  type Fields, type WechatError,
} from './fake-wechat-rules.ts';

/**
 * A stand-in for api.weixin.qq.com over real HTTP, strict the way WeChat is (shapes,
 * limits and error codes of WeChat's API pages),
 * so a relay that holds the team's access_token can be tested without WeChat.
 * Answers follow WeChat's habits: HTTP 200 with JSON `{errcode, errmsg: "… rid: …"}`
 * on every error; success of the token endpoints carries no errcode.
 *
 * Choices the fake makes where WeChat's behaviour is not documented:
 * - an unknown path answers HTTP 404 `{"errcode":-1,"errmsg":"no such api rid: …"}`;
 * - a body over 1 MB answers HTTP 413 (as a front proxy would), after the upload ends;
 * - while `setDown(true)`, every connection and request is destroyed without a byte
 *   of answer and is not counted: to the caller WeChat is unreachable;
 * - a field missing or of the wrong JSON type is 47001 `data format error`; a field of
 *   the right type with a value WeChat refuses has its own code (openid 40003, scene
 *   40129) where the API pages give one, else 47001.
 */

export interface FakeWechatApp { appId: string; secret: string }

export interface FakeWechatApiOptions {
  apps: FakeWechatApp[];
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 7200, WeChat's. */
  tokenLifetimeS?: number;
  /** Delay before every answer, to test a slow WeChat. */
  latencyMs?: number;
  /** Lets a test move time for expiry, renewal and the daily limits. */
  clock?: Clock;
}

export interface FakeWechatCounters {
  /** Requests to /cgi-bin/stable_token, whatever their outcome. */
  stableToken: number;
  /** Requests to the legacy /cgi-bin/token: a relay holding stable tokens should make none. */
  legacyToken: number;
  /** stable_token requests that asked force_refresh:true, granted or not. */
  forcedRefresh: number;
  /** Requests by path (query left out), unknown paths included. */
  calls: Map<string, number>;
  /** API calls refused for their access_token (41001, 40001, 42001). */
  rejectedTokens: number;
}

export interface FakeMediaCheck { appId: string; traceId: string; body: unknown }

export interface FakeWechatApi {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  counters: FakeWechatCounters;
  /** The app's stable token while it still works. */
  currentToken(appId: string): string | undefined;
  /** Stops the app's stable tokens at once, as a force_refresh elsewhere does; the next normal stable_token issues a new one. */
  invalidateToken(appId: string): void;
  setDown(down: boolean): void;
  /** Delays every answer from now on (0: none), to make WeChat slow after a token was issued. */
  setLatency(ms: number): void;
  /** What media_check_async accepted, so a test can push the verdict for that trace_id. */
  mediaChecks: FakeMediaCheck[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
/** Past this the upload is cut rather than drained for the 413. */
const MAX_DRAINED_BYTES = 8 * MAX_BODY_BYTES;
/** Old and new token both work this long around a renewal (5 minutes, by getStableAccessToken's page). */
const OVERLAP_MS = 300_000;
const FORCE_GAP_MS = 30_000;
const FORCES_PER_DAY = 20;
/** WeChat's days, and so its daily quotas, turn over at midnight Beijing time (UTC+8). */
const BEIJING_OFFSET_MS = 8 * 3_600_000;
const JSON_TYPE = 'application/json; encoding=utf-8';

interface Answer { status?: number; body: Fields | Buffer }
interface Issued { appId: string; kind: 'stable' | 'legacy'; expiresAt: number; revokedAt?: number }
interface AppState { stable?: string; legacy?: string; lastForceAt?: number; forceDay?: number; forcesToday: number }
interface Quota { minute: number; minuteCount: number; day: number; dayCount: number }

/** The fake's state and rules, apart from HTTP. */
class FakeWechat {
  readonly counters: FakeWechatCounters = { stableToken: 0, legacyToken: 0, forcedRefresh: 0, calls: new Map(), rejectedTokens: 0 };
  readonly mediaChecks: FakeMediaCheck[] = [];
  readonly #secrets: Map<string, string>;
  readonly #clock: Clock;
  readonly #lifetimeMs: number;
  /** Shrinks with a short test lifetime so that a renewal still leaves the old token some life. */
  readonly #overlapMs: number;
  readonly #tokens = new Map<string, Issued>();
  readonly #apps = new Map<string, AppState>();
  readonly #quotas = new Map<string, Quota>();

  constructor(options: FakeWechatApiOptions) {
    this.#secrets = new Map(options.apps.map((app) => [app.appId, app.secret]));
    this.#clock = options.clock ?? systemClock;
    this.#lifetimeMs = (options.tokenLifetimeS ?? 7200) * 1000;
    this.#overlapMs = Math.min(OVERLAP_MS, this.#lifetimeMs / 2);
  }

  answer(method: string, url: URL, body: Buffer): Answer {
    switch (url.pathname) {
      case '/cgi-bin/stable_token': return this.#stableToken(method, body);
      case '/cgi-bin/token': return this.#legacyToken(method, url.searchParams);
      case '/wxa/media_check_async': return this.#withToken(method, url, body, (appId, fields) => this.#mediaCheck(appId, fields));
      case '/wxa/msg_sec_check': return this.#withToken(method, url, body, (appId, fields) => this.#msgSecCheck(appId, fields));
      case '/wxa/getwxacodeunlimit': return this.#withToken(method, url, body, (appId, fields) => this.#wxaCode(appId, fields));
      default: return { status: 404, body: this.#error(E.noSuchApi) };
    }
  }

  currentToken(appId: string): string | undefined {
    const token = this.#apps.get(appId)?.stable;
    return token !== undefined && this.#tokenProblem(token) === undefined ? token : undefined;
  }

  invalidateToken(appId: string): void {
    this.#revokeStable(appId);
  }

  #error([errcode, errmsg]: WechatError): Fields {
    return { errcode, errmsg: `${errmsg} rid: ${requestId(this.#clock.now())}` };
  }

  #fail(error: WechatError): Answer {
    return { body: this.#error(error) };
  }

  #stableToken(method: string, body: Buffer): Answer {
    this.counters.stableToken += 1;
    if (method !== 'POST') return this.#fail(E.requirePost);
    const fields = parseJsonObject(body);
    if (isError(fields)) return this.#fail(fields);
    const force = fields.force_refresh;
    if (force === true) this.counters.forcedRefresh += 1;
    if (force !== undefined && typeof force !== 'boolean') return this.#fail(E.dataFormat);
    const appId = this.#credentials(fields.grant_type, fields.appid, fields.secret);
    if (isError(appId)) return this.#fail(appId);
    const overQuota = this.#quota(appId, 'stable_token', 10_000, 500_000);
    if (overQuota) return this.#fail(overQuota);
    const state = this.#state(appId);
    const now = this.#clock.now();
    const current = state.stable !== undefined && this.#tokenProblem(state.stable) === undefined ? state.stable : undefined;
    if (force === true) {
      // The API page: forced refreshes at least 30 s apart, "否则不会刷新" (else no refresh, not an error).
      const tooSoon = state.lastForceAt !== undefined && now - state.lastForceAt < FORCE_GAP_MS;
      if (!(tooSoon && current !== undefined)) return this.#forceRefresh(appId, state, now);
    }
    if (current !== undefined && this.#remainingMs(current) > this.#overlapMs) return this.#tokenAnswer(current);
    // WeChat renews itself before expiry; the old token lives on to its own end.
    state.stable = this.#issue(appId, 'stable');
    return this.#tokenAnswer(state.stable);
  }

  #forceRefresh(appId: string, state: AppState, now: number): Answer {
    const day = Math.floor((now + BEIJING_OFFSET_MS) / 86_400_000);
    if (state.forceDay !== day) {
      state.forceDay = day;
      state.forcesToday = 0;
    }
    if (state.forcesToday >= FORCES_PER_DAY) return this.#fail(E.dailyQuota);
    state.forcesToday += 1;
    state.lastForceAt = now;
    this.#revokeStable(appId);
    state.stable = this.#issue(appId, 'stable');
    return this.#tokenAnswer(state.stable);
  }

  #legacyToken(method: string, query: URLSearchParams): Answer {
    this.counters.legacyToken += 1;
    if (method !== 'GET') return this.#fail(E.requireGet);
    const appId = this.#credentials(query.get('grant_type') ?? undefined, query.get('appid') ?? undefined, query.get('secret') ?? undefined);
    if (isError(appId)) return this.#fail(appId);
    // About 2 000 a day (by community answers; the API page gives none), with WeChat's own hint in the message.
    if (this.#quota(appId, 'token', Infinity, 2000)) return this.#fail(E.legacyDailyQuota);
    const state = this.#state(appId);
    const previous = state.legacy === undefined ? undefined : this.#tokens.get(state.legacy);
    // A new legacy token leaves the previous one 5 minutes; stable tokens are untouched.
    if (previous && previous.revokedAt === undefined) previous.revokedAt = this.#clock.now() + this.#overlapMs;
    state.legacy = this.#issue(appId, 'legacy');
    return this.#tokenAnswer(state.legacy);
  }

  #credentials(grantType: unknown, appid: unknown, secret: unknown): string | WechatError {
    if (grantType !== 'client_credential') return E.invalidGrantType;
    if (appid === undefined || appid === '') return E.appidMissing;
    if (secret === undefined || secret === '') return E.secretMissing;
    if (typeof appid !== 'string' || typeof secret !== 'string') return E.dataFormat;
    const expected = this.#secrets.get(appid);
    if (expected === undefined) return E.invalidAppid;
    return secret === expected ? appid : E.invalidAppsecret;
  }

  #withToken(method: string, url: URL, body: Buffer, handle: (appId: string, fields: Fields) => Answer): Answer {
    const token = url.searchParams.get('access_token') ?? '';
    const problem = token === '' ? E.tokenMissing : this.#tokenProblem(token);
    if (problem) {
      this.counters.rejectedTokens += 1;
      return this.#fail(problem);
    }
    if (method !== 'POST') return this.#fail(E.requirePost);
    const fields = parseJsonObject(body);
    if (isError(fields)) return this.#fail(fields);
    return handle(this.#tokens.get(token)?.appId ?? '', fields);
  }

  #mediaCheck(appId: string, fields: Fields): Answer {
    const problem = mediaCheckProblem(fields) ?? this.#quota(appId, 'media_check_async', 2000, 200_000);
    if (problem) return this.#fail(problem);
    const traceId = requestId(this.#clock.now());
    this.mediaChecks.push({ appId, traceId, body: fields });
    return { body: { errcode: 0, errmsg: 'ok', trace_id: traceId } };
  }

  #msgSecCheck(appId: string, fields: Fields): Answer {
    const problem = msgSecCheckProblem(fields) ?? this.#quota(appId, 'msg_sec_check', 4000, 2_000_000);
    if (problem) return this.#fail(problem);
    // A fixed rule, so a test can tell a verdict passed through from one made up on the way.
    const risky = /\brisky\b/i.test(String(fields.content));
    const suggest = risky ? 'risky' : 'pass';
    const label = risky ? 20001 : 100;
    const detail: Fields[] = [{ strategy: 'content_model', errcode: 0, suggest, label, prob: 90 }];
    if (risky) detail.push({ strategy: 'keyword', errcode: 0, suggest, label, level: 20, keyword: 'risky' });
    return { body: { errcode: 0, errmsg: 'ok', trace_id: requestId(this.#clock.now()), result: { suggest, label }, detail } };
  }

  #wxaCode(appId: string, fields: Fields): Answer {
    // The API page gives 45009 for its 5 000-a-minute limit.
    const problem = wxaCodeProblem(fields) ?? (this.#quota(appId, 'getwxacodeunlimit', 5000, Infinity) && E.dailyQuota);
    if (problem) return this.#fail(problem);
    // WeChat draws widths outside 280..1280 at the nearest bound.
    const width = Math.round(Math.min(1280, Math.max(280, typeof fields.width === 'number' ? fields.width : 430)));
    return { body: codePng(String(fields.scene), typeof fields.page === 'string' ? fields.page : '', width) };
  }

  #quota(appId: string, api: string, perMinute: number, perDay: number): WechatError | undefined {
    const now = this.#clock.now();
    const minute = Math.floor(now / 60_000);
    const day = Math.floor((now + BEIJING_OFFSET_MS) / 86_400_000);
    const key = `${appId} ${api}`;
    const quota = this.#quotas.get(key) ?? { minute, minuteCount: 0, day, dayCount: 0 };
    if (quota.minute !== minute) Object.assign(quota, { minute, minuteCount: 0 });
    if (quota.day !== day) Object.assign(quota, { day, dayCount: 0 });
    this.#quotas.set(key, quota);
    if (quota.dayCount >= perDay) return E.dailyQuota;
    if (quota.minuteCount >= perMinute) return E.minuteQuota;
    quota.minuteCount += 1;
    quota.dayCount += 1;
    return undefined;
  }

  #state(appId: string): AppState {
    const state = this.#apps.get(appId) ?? { forcesToday: 0 };
    this.#apps.set(appId, state);
    return state;
  }

  #issue(appId: string, kind: Issued['kind']): string {
    // Opaque and long like WeChat's (which asks for 512 characters of storage).
    const token = `${kind === 'stable' ? 90 : 89}_${randomBytes(108).toString('base64url')}`;
    this.#tokens.set(token, { appId, kind, expiresAt: this.#clock.now() + this.#lifetimeMs });
    return token;
  }

  #revokeStable(appId: string): void {
    const now = this.#clock.now();
    for (const issued of this.#tokens.values()) {
      if (issued.appId === appId && issued.kind === 'stable' && (issued.revokedAt === undefined || issued.revokedAt > now)) issued.revokedAt = now;
    }
    this.#state(appId).stable = undefined;
  }

  #remainingMs(token: string): number {
    return (this.#tokens.get(token)?.expiresAt ?? 0) - this.#clock.now();
  }

  #tokenAnswer(token: string): Answer {
    return { body: { access_token: token, expires_in: Math.floor(this.#remainingMs(token) / 1000) } };
  }

  /** A token stopped early (replaced or forced out) is "not latest" even after its expiry would have come. */
  #tokenProblem(token: string): WechatError | undefined {
    const issued = this.#tokens.get(token);
    if (!issued) return E.invalidCredential;
    const now = this.#clock.now();
    if (issued.revokedAt !== undefined && issued.revokedAt < issued.expiresAt && now >= issued.revokedAt) return E.invalidCredential;
    return now >= issued.expiresAt ? E.tokenExpired : undefined;
  }
}

/** The body, or `undefined` when it is over the limit (drained for the answer, cut when far over). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAINED_BYTES) request.socket.destroy();
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
    // A client gone mid-upload gets no answer, and its handler must not wait forever.
    request.on('close', () => resolve(undefined));
  });
}

function send(response: ServerResponse, answer: Answer): void {
  const isImage = Buffer.isBuffer(answer.body);
  const payload = isImage ? answer.body as Buffer : Buffer.from(JSON.stringify(answer.body));
  response.writeHead(answer.status ?? 200, { 'content-type': isImage ? 'image/png' : JSON_TYPE, 'content-length': payload.length }).end(payload);
}

export async function startFakeWechatApi(options: FakeWechatApiOptions): Promise<FakeWechatApi> {
  const fake = new FakeWechat(options);
  const stopping = new AbortController();
  let isDown = false;
  let latencyMs = options.latencyMs ?? 0;
  const server = createServer((request, response) => {
    if (isDown) {
      request.socket.destroy();
      return;
    }
    // An absolute-form target that is no URL must not throw out of the handler.
    const url = URL.parse(request.url ?? '/', 'http://fake.invalid') ?? new URL('http://fake.invalid/');
    fake.counters.calls.set(url.pathname, (fake.counters.calls.get(url.pathname) ?? 0) + 1);
    void (async () => {
      const body = await readBody(request);
      if (latencyMs > 0) await delay(latencyMs, undefined, { signal: stopping.signal });
      if (response.destroyed) return;
      if (body === undefined) {
        response.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end('Request Entity Too Large');
        return;
      }
      send(response, fake.answer(request.method ?? 'GET', url, body));
    })().catch(() => {
      if (!response.headersSent && !response.destroyed) send(response, { status: 500, body: { errcode: E.systemError[0], errmsg: E.systemError[1] } });
    });
  });
  server.on('connection', (socket: Socket) => {
    if (isDown) socket.destroy();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    counters: fake.counters,
    mediaChecks: fake.mediaChecks,
    currentToken: (appId) => fake.currentToken(appId),
    invalidateToken: (appId) => fake.invalidateToken(appId),
    setDown: (down) => {
      isDown = down;
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: async () => {
      stopping.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
