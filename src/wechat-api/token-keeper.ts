import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { RelayError } from '../errors/relay-error.ts';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import type { AccessTokenRecord, AccessTokens } from '../storage/access-token-store.ts';
import type { Clock } from '../time/clock.ts';
import type { WechatApiClient } from './wechat-api-client.ts';

/** A token this instance may use. */
export interface HeldToken {
  token: string;
  expiresAt: number;
  fetchedAt: number;
}

export interface TokenKeeperOptions {
  owner: string;
  /** appId → AppSecret, for the apps whose token the relay holds. */
  secrets: ReadonlyMap<string, string>;
  /**
   * Renew when less than this is left. In normal mode stable_token gives the same token
   * until WeChat itself renews it, about 5 minutes before expiry (old and new both valid
   * meanwhile); asking just inside that window gets the new one.
   */
  renewAheadMs?: number;
  /** How long one instance holds the renewal; longer than one stable_token call may take. */
  leaseMs?: number;
  /** After a failed renewal, calls are refused this long without asking WeChat again. */
  failureBackoffMs?: number;
  /** force_refresh invalidates every other holder's token and WeChat allows 20 a day: the relay uses at most this many. */
  maxForcesPerDay?: number;
}

export interface TokenKeeperDeps {
  store: AccessTokens;
  client: Pick<WechatApiClient, 'stableToken'>;
  clock: Clock;
  logger: Logger;
  metrics: RelayMetrics;
}

export interface TokenStatus {
  app_id: string;
  status: 'ok' | 'failing' | 'not_fetched';
  expires_at?: string;
  error?: string;
}

/** A token this close to expiry is not handed out: a call may take seconds. */
const USABLE_MARGIN_MS = 30_000;
const FORCE_GAP_MS = 30_000;
const POLL_MS = 100;
const BEIJING_OFFSET_MS = 8 * 3_600_000;
const dayOf = (now: number): number => Math.floor((now + BEIJING_OFFSET_MS) / 86_400_000);

/**
 * Holds each app's access_token for every instance: kept in the database, renewed ahead
 * of expiry by whichever instance holds the app's renewal lease (the others wait for its
 * result), renewed once when WeChat refuses it, and forced only when WeChat keeps handing
 * out the refused token, within its daily limit. One renewal in flight per app and process.
 */
export class TokenKeeper {
  readonly #options: Required<TokenKeeperOptions>;
  readonly #deps: TokenKeeperDeps;
  readonly #held = new Map<string, HeldToken>();
  /** The token each app had before its last renewal: an SDK may still send it for a while. */
  readonly #previous = new Map<string, string>();
  readonly #renewing = new Map<string, Promise<HeldToken>>();
  readonly #failures = new Map<string, { message: string; at: number }>();
  readonly #lastRenewalAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TokenKeeperOptions, deps: TokenKeeperDeps) {
    this.#options = { renewAheadMs: 290_000, leaseMs: 15_000, failureBackoffMs: 30_000, maxForcesPerDay: 10, ...options };
    this.#deps = deps;
    deps.metrics.onRender(() => {
      const now = deps.clock.now();
      for (const [appId, held] of this.#held) deps.metrics.tokenAge.set({ app_id: appId }, Math.max(0, (now - held.fetchedAt) / 1000));
    });
  }

  holdsTokenFor(appId: string): boolean {
    return this.#options.secrets.has(appId);
  }

  /** A valid token for the app: this instance's, the database's, or a new one. */
  async token(appId: string): Promise<HeldToken> {
    const now = this.#deps.clock.now();
    const mine = this.#held.get(appId);
    if (mine && !this.#isDue(mine, now)) return mine;
    // Callers that find no usable token wait for the renewal in flight instead of each reading the database.
    const inFlight = this.#renewing.get(appId);
    if (inFlight && !(mine && this.#isUsable(mine, now))) return inFlight;
    this.#adopt(appId, await this.#deps.store.readAccessToken(appId));
    // Read after the await: a renewal may have finished meanwhile.
    const held = this.#held.get(appId);
    if (held && !this.#isDue(held, now)) return held;
    if (held && this.#isUsable(held, now)) {
      // Still good for minutes: renew behind the caller's back, at most once per backoff period.
      if (now - (this.#lastRenewalAt.get(appId) ?? 0) >= this.#options.failureBackoffMs) this.#renew(appId, undefined).catch(() => undefined);
      return held;
    }
    return this.#renew(appId, undefined);
  }

  /** WeChat refused `token` (40001, 40014, 42001): a newer one, renewed once for every caller that saw the same refusal. */
  async rejected(appId: string, token: string): Promise<HeldToken> {
    const stored = this.#adopt(appId, await this.#deps.store.readAccessToken(appId));
    if (stored && stored.token !== token && this.#isUsable(stored, this.#deps.clock.now())) return stored;
    return this.#renew(appId, token);
  }

  /**
   * The app whose current (or just replaced) token this is: an SDK pointed at the relay sends
   * the token it got from the relay, and holding it already grants everything the token can do.
   */
  appOfToken(token: string): string | undefined {
    const given = createHash('sha256').update(token).digest();
    let found: string | undefined;
    for (const [appId, held] of this.#held) {
      for (const candidate of [held.token, this.#previous.get(appId)]) {
        if (candidate !== undefined && timingSafeEqual(createHash('sha256').update(candidate).digest(), given)) found ??= appId;
      }
    }
    return found;
  }

  /** What /readyz shows per app: never the token. */
  status(): TokenStatus[] {
    const now = this.#deps.clock.now();
    return [...this.#options.secrets.keys()].map((appId) => {
      const held = this.#held.get(appId);
      const failure = this.#failures.get(appId);
      const isUsable = held !== undefined && this.#isUsable(held, now);
      const status = failure && !isUsable ? 'failing' : held ? 'ok' : 'not_fetched';
      return { app_id: appId, status, ...(held ? { expires_at: new Date(held.expiresAt).toISOString() } : {}), ...(failure ? { error: failure.message } : {}) };
    });
  }

  /** Keeps every app's token fresh without waiting for a call; one instance renews, the others read. */
  start(intervalMs = 30_000): void {
    const tick = () => {
      for (const appId of this.#options.secrets.keys()) this.token(appId).catch(() => undefined);
    };
    tick();
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #isDue(held: HeldToken, now: number): boolean {
    return held.expiresAt - now < this.#options.renewAheadMs;
  }

  #isUsable(held: HeldToken, now: number): boolean {
    return held.expiresAt - now > USABLE_MARGIN_MS;
  }

  /** Takes the database's token when it is newer than this instance's. */
  #adopt(appId: string, record: AccessTokenRecord | undefined): HeldToken | undefined {
    if (!record?.token || record.expiresAt === null) return undefined;
    const current = this.#held.get(appId);
    if (current && current.fetchedAt >= (record.fetchedAt ?? 0)) return current;
    const held = { token: record.token, expiresAt: record.expiresAt, fetchedAt: record.fetchedAt ?? 0 };
    this.#replace(appId, held);
    return held;
  }

  #replace(appId: string, held: HeldToken): void {
    const before = this.#held.get(appId);
    if (before && before.token !== held.token) this.#previous.set(appId, before.token);
    this.#held.set(appId, held);
  }

  #renew(appId: string, rejected: string | undefined): Promise<HeldToken> {
    const inFlight = this.#renewing.get(appId);
    if (inFlight) return inFlight;
    const renewal = this.#renewOnce(appId, rejected).finally(() => this.#renewing.delete(appId));
    this.#renewing.set(appId, renewal);
    return renewal;
  }

  async #renewOnce(appId: string, rejected: string | undefined): Promise<HeldToken> {
    const { store, clock } = this.#deps;
    const secret = this.#options.secrets.get(appId);
    if (secret === undefined) throw new RelayError('API_PROXY_DISABLED', `the relay holds no AppSecret for app ${appId}`);
    const failure = this.#failures.get(appId);
    if (failure && clock.now() - failure.at < this.#options.failureBackoffMs) throw this.#unavailable(appId, failure.message);
    const startedAt = clock.now();
    this.#lastRenewalAt.set(appId, startedAt);
    if (!await store.claimTokenRenewal(appId, this.#options.owner, startedAt, this.#options.leaseMs)) return this.#awaitOtherInstance(appId, rejected, startedAt);
    try {
      let answer = await this.#deps.client.stableToken(appId, secret, false);
      let forced: { day: number; count: number } | undefined;
      if (rejected !== undefined && answer.token === rejected) {
        forced = await this.#forceAllowance(appId);
        if (forced) answer = await this.#deps.client.stableToken(appId, secret, true);
        else this.#deps.logger.warn({ app_id: appId }, 'WeChat refuses the access_token it still hands out, and a forced renewal is not allowed now (30 s apart, a daily limit): calls may fail until WeChat renews it');
      }
      const now = clock.now();
      const held = { token: answer.token, expiresAt: now + answer.expiresInS * 1000, fetchedAt: now };
      // Held before it is stored: a database that fails now must not cost the token WeChat just gave.
      this.#replace(appId, held);
      await store.saveAccessToken(appId, this.#options.owner, { token: held.token, expiresAt: held.expiresAt, forced }, now).catch((error: unknown) => {
        // The message only: a driver's error can carry the statement, and this one holds the token.
        this.#deps.logger.warn({ app_id: appId, error: (error as Error).message }, 'access_token renewed but not stored; other instances renew their own when theirs runs out');
      });
      this.#failures.delete(appId);
      this.#deps.metrics.tokenRenewals.inc({ app_id: appId, outcome: forced ? 'forced' : 'renewed' });
      this.#deps.logger.info({ app_id: appId, expires_in_s: answer.expiresInS, forced: forced !== undefined }, 'access_token renewed');
      return held;
    } catch (error) {
      const message = (error as Error).message;
      const now = clock.now();
      this.#failures.set(appId, { message, at: now });
      this.#deps.metrics.tokenRenewals.inc({ app_id: appId, outcome: 'failed' });
      this.#deps.logger.error({ app_id: appId, error: message }, 'access_token renewal failed');
      await store.recordTokenFailure(appId, this.#options.owner, message, now).catch(() => undefined);
      throw this.#unavailable(appId, message);
    }
  }

  /** Another instance holds the renewal: wait for its token (or its failure) rather than ask WeChat twice. */
  async #awaitOtherInstance(appId: string, rejected: string | undefined, startedAt: number): Promise<HeldToken> {
    const { store, clock } = this.#deps;
    while (clock.now() - startedAt < this.#options.leaseMs) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const record = await store.readAccessToken(appId);
      const held = this.#adopt(appId, record);
      if (held && held.token !== rejected && held.fetchedAt >= startedAt - this.#options.leaseMs && this.#isUsable(held, clock.now())) return held;
      if (record?.lastErrorAt !== null && record?.lastErrorAt !== undefined && record.lastErrorAt >= startedAt) {
        this.#failures.set(appId, { message: record.lastError ?? 'renewal failed', at: record.lastErrorAt });
        throw this.#unavailable(appId, record.lastError ?? 'renewal failed');
      }
    }
    const held = this.#held.get(appId);
    if (held && held.token !== rejected && this.#isUsable(held, clock.now())) return held;
    throw this.#unavailable(appId, 'another instance is renewing the token and has not finished');
  }

  async #forceAllowance(appId: string): Promise<{ day: number; count: number } | undefined> {
    const now = this.#deps.clock.now();
    const record = await this.#deps.store.readAccessToken(appId);
    if (record?.forcedAt !== null && record?.forcedAt !== undefined && now - record.forcedAt < FORCE_GAP_MS) return undefined;
    const day = dayOf(now);
    const count = record?.forcedDay === day ? record.forcedCount : 0;
    return count < this.#options.maxForcesPerDay ? { day, count: count + 1 } : undefined;
  }

  #unavailable(appId: string, reason: string): RelayError {
    return new RelayError('ACCESS_TOKEN_UNAVAILABLE', `no valid access_token for app ${appId}: ${reason}`);
  }
}
