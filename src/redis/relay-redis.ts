import { maskDatabaseUrl } from '../redaction/url-credentials.ts';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError } from '../config/env-variables.ts';
import type { DeadlineIndex } from '../deadline/deadline-sweeper.ts';
import type { PendingCursor, Housekeeping, TraceRecord } from '../storage/relay-store.ts';

export interface RelayRedisOptions {
  /** REDIS_URL. */
  url: string;
  /** Prefix of every key and channel (RELAY_REDIS_KEY_PREFIX). */
  keyPrefix: string;
}

export interface RelayRedisDeps {
  store: Housekeeping;
  logger: Logger;
}

/** Even with a complete index, the database is scanned for deadlines this often: Redis is never the source of truth. */
const FULL_SCAN_EVERY_MS = 30_000;
/** A route stays in the index this long past its deadline (late pushes still look it up). */
const ROUTE_GRACE_MS = 3_600_000;
const REBUILD_PAGE = 500;
const REBUILD_LOCK_MS = 60_000;

/** Checks REDIS_URL up front: a typo would otherwise only ever show as "degraded". */
export function checkRedisUrl(url: string): void {
  const masked = maskDatabaseUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`REDIS_URL ${masked} cannot be parsed: expected e.g. redis://:password@host:6379/0`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new ConfigError(`REDIS_URL ${masked} must start with redis:// or rediss://`);
  if (parsed.hostname === '') throw new ConfigError(`REDIS_URL ${masked} names no host`);
}

/** What the hot index keeps per trace. */
export interface RouteEntry {
  pk: string;
  serverUri: string;
  deadlineAt: number;
}

/**
 * The optional Redis: a hot index trace → route with a TTL, a sorted set of
 * deadlines (score = deadline in epoch ms, so "due" is the range -inf..now), and
 * wake-ups across instances over pub/sub. Everything here is derived from the
 * database and rebuilt from it after FLUSHALL or a restart; when Redis is down
 * every caller falls back to the database and /readyz reports it degraded.
 */
export class RelayRedis implements DeadlineIndex {
  readonly #client: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #deps: RelayRedisDeps;
  #isIndexTrusted = false;
  /** Writes may have been missed (a failed write, a reconnect): rebuild before trusting the index. */
  #isIndexSuspect = true;
  #lastFullScanAt = 0;
  #rebuild: Promise<number> | undefined;

  constructor(options: RelayRedisOptions, deps: RelayRedisDeps) {
    checkRedisUrl(options.url);
    this.#deps = deps;
    this.#prefix = options.keyPrefix;
    // Commands fail at once while Redis is away (no offline queue): callers fall back to the database.
    const common = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000,
      retryStrategy: (times: number) => Math.min(times * 200, 2000) };
    this.#client = new Redis(options.url, common);
    this.#subscriber = new Redis(options.url, { ...common, enableOfflineQueue: true });
    for (const connection of [this.#client, this.#subscriber]) {
      connection.on('error', (error: Error) => deps.logger.debug({ err: error }, 'redis connection error'));
    }
    this.#client.on('ready', () => {
      // Registrations made while Redis was away are missing, and a Redis that restarted lost
      // everything: rebuild before trusting the index again.
      this.#isIndexTrusted = false;
      this.#isIndexSuspect = true;
      deps.logger.info('redis connected');
    });
    this.#client.on('close', () => {
      this.#isIndexTrusted = false;
    });
  }

  /** Key names, in one place so they can be documented and inspected. */
  get keys() {
    const prefix = this.#prefix;
    return {
      route: (appId: string, traceId: string) => `${prefix}route:${appId}:${traceId}`,
      deadlines: `${prefix}deadlines`,
      indexComplete: `${prefix}index:complete`,
      rebuildLock: `${prefix}index:rebuild-lock`,
      wakeChannel: `${prefix}wake`,
      rateWindow: (key: string, windowStart: number) => `${prefix}rate:${key}:${windowStart}`,
    };
  }

  /** Connects and listens for wake-ups; a Redis that is down now does not stop the start. */
  async start(onWake: () => void): Promise<void> {
    this.#subscriber.on('message', (channel: string) => {
      if (channel === this.keys.wakeChannel) onWake();
    });
    await Promise.all([this.#client.connect(), this.#subscriber.connect()]).catch((error: unknown) => {
      this.#deps.logger.warn({ err: error }, 'redis is not reachable; working from the database alone until it is');
    });
    // Subscriptions are renewed by ioredis on every reconnect.
    await this.#subscriber.subscribe(this.keys.wakeChannel).catch(() => undefined);
  }

  isReady(): boolean {
    return this.#client.status === 'ready';
  }

  /** Indexes a new registration: its route (with a TTL) and its deadline. */
  async rememberTrace(trace: TraceRecord, now: number): Promise<void> {
    try {
      await this.#client.multi()
        .set(this.keys.route(trace.appId, trace.traceId), JSON.stringify(routeOf(trace)), 'PX', routeTtlMs(trace, now))
        .zadd(this.keys.deadlines, trace.deadlineAt, `${trace.appId}:${trace.traceId}`)
        .exec();
    } catch (error) {
      // The index missed one: do not skip database scans until it is rebuilt.
      this.#isIndexTrusted = false;
      this.#isIndexSuspect = true;
      this.#deps.logger.debug({ err: error, trace_id: trace.traceId }, 'redis: could not index the registration');
    }
  }

  /** The route of a registered trace, or undefined (unknown, expired from the index, or Redis away). */
  async lookupRoute(appId: string, traceId: string): Promise<RouteEntry | undefined> {
    try {
      const text = await this.#client.get(this.keys.route(appId, traceId));
      return text ? (JSON.parse(text) as RouteEntry) : undefined;
    } catch {
      return undefined;
    }
  }

  /** One call more in a rate window shared by every instance (see wechat-api/api-rate-guard.ts); throws while Redis is away. */
  async count(key: string, windowStart: number, windowMs: number): Promise<{ current: number; previous: number }> {
    const name = this.keys.rateWindow(key, windowStart);
    const answers = await this.#client.multi().incr(name).pexpire(name, 3 * windowMs).get(this.keys.rateWindow(key, windowStart - windowMs)).exec();
    if (!answers || answers.some(([error]) => error)) throw new Error('redis: the rate count failed');
    return { current: Number(answers[0]![1]), previous: Number(answers[2]![1] ?? 0) };
  }

  async uncount(key: string, windowStart: number): Promise<void> {
    await this.#client.decr(this.keys.rateWindow(key, windowStart));
  }

  /** Tells every instance's worker that a delivery is due now. */
  publishWake(): void {
    this.#client.publish(this.keys.wakeChannel, '1').catch(() => undefined);
  }

  async mayHaveDue(now: number): Promise<boolean> {
    if (!this.isReady()) return true;
    await this.#checkIndex();
    if (!this.#isIndexTrusted || now - this.#lastFullScanAt >= FULL_SCAN_EVERY_MS) return true;
    try {
      const due = await this.#client.zrangebyscore(this.keys.deadlines, '-inf', now, 'LIMIT', 0, 1);
      return due.length > 0;
    } catch {
      return true;
    }
  }

  async scanned(now: number): Promise<void> {
    this.#lastFullScanAt = now;
    // The database has handled every deadline up to now; drop them from the set.
    await this.#client.zremrangebyscore(this.keys.deadlines, '-inf', now).catch(() => undefined);
  }

  /** Trusts the index only while its completion marker stands; starts a rebuild when it is gone. */
  async #checkIndex(): Promise<void> {
    try {
      if (this.#isIndexSuspect) {
        await this.#client.del(this.keys.indexComplete);
        this.#isIndexSuspect = false;
      }
      const isComplete = (await this.#client.exists(this.keys.indexComplete)) === 1;
      if (!isComplete) this.#isIndexTrusted = false;
      else if (!this.#rebuild) this.#isIndexTrusted = true;
      if (!isComplete) this.#rebuild ??= this.rebuildIndex().finally(() => { this.#rebuild = undefined; });
    } catch {
      this.#isIndexTrusted = false;
    }
  }

  /** Rebuilds routes and deadlines of every pending trace from the database; one instance at a time. */
  async rebuildIndex(): Promise<number> {
    const { store, logger } = this.#deps;
    const gotLock = await this.#client.set(this.keys.rebuildLock, '1', 'PX', REBUILD_LOCK_MS, 'NX').catch(() => null);
    if (gotLock !== 'OK') return 0;
    let count = 0;
    try {
      const now = Date.now();
      let cursor: PendingCursor | null = null;
      for (;;) {
        const page = await store.listPendingTraces(cursor, REBUILD_PAGE);
        if (page.length === 0) break;
        const batch = this.#client.multi();
        for (const trace of page) {
          batch.set(this.keys.route(trace.appId, trace.traceId), JSON.stringify(routeOf(trace)), 'PX', routeTtlMs(trace, now));
          batch.zadd(this.keys.deadlines, trace.deadlineAt, `${trace.appId}:${trace.traceId}`);
        }
        await batch.exec();
        count += page.length;
        const last = page[page.length - 1]!;
        cursor = { deadlineAt: last.deadlineAt, pk: last.pk };
        if (page.length < REBUILD_PAGE) break;
      }
      await this.#client.set(this.keys.indexComplete, String(now));
      logger.info({ traces: count }, 'redis index rebuilt from the database');
      return count;
    } catch (error) {
      logger.warn({ err: error }, 'redis index rebuild failed; retrying on the next sweep');
      return count;
    } finally {
      await this.#client.del(this.keys.rebuildLock).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#rebuild]);
    this.#client.disconnect();
    this.#subscriber.disconnect();
  }
}

function routeOf(trace: TraceRecord): RouteEntry {
  return { pk: trace.pk, serverUri: trace.serverUri, deadlineAt: trace.deadlineAt };
}

function routeTtlMs(trace: TraceRecord, now: number): number {
  return Math.max(60_000, trace.deadlineAt - now + ROUTE_GRACE_MS);
}
