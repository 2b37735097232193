import { RelayError } from '../errors/relay-error.ts';
import type { Clock } from '../time/clock.ts';

/**
 * WeChat's documented per-minute limits per appid, enforced before WeChat answers
 * 45009/45011 (which would also count against the day's quota).
 */
export const API_LIMITS_PER_MINUTE: Readonly<Record<string, number>> = {
  'wxa/media_check_async': 2000,
  'wxa/msg_sec_check': 4000,
};

const WINDOW_MS = 60_000;

/** Calls counted in fixed one-minute windows; `count` adds one to the current window unless `limit` would be passed. */
export interface WindowCounter {
  /** Adds one call to `key`'s window at `windowStart` and returns the counts of that window (with it) and the one before. */
  count(key: string, windowStart: number, windowMs: number): Promise<{ current: number; previous: number }>;
  /** Takes back a call that was counted but refused. */
  uncount(key: string, windowStart: number): Promise<void>;
}

/** One instance's counts, when no shared store carries them. */
export class LocalWindowCounter implements WindowCounter {
  readonly #windows = new Map<string, number>();

  async count(key: string, windowStart: number, windowMs: number): Promise<{ current: number; previous: number }> {
    const current = (this.#windows.get(`${key}@${windowStart}`) ?? 0) + 1;
    this.#windows.set(`${key}@${windowStart}`, current);
    // Windows older than the previous one are never read again.
    this.#windows.delete(`${key}@${windowStart - 2 * windowMs}`);
    return { current, previous: this.#windows.get(`${key}@${windowStart - windowMs}`) ?? 0 };
  }

  async uncount(key: string, windowStart: number): Promise<void> {
    const name = `${key}@${windowStart}`;
    this.#windows.set(name, Math.max(0, (this.#windows.get(name) ?? 1) - 1));
  }
}

/**
 * Refuses a call with 429 and Retry-After once the app has made its minute's quota of that API.
 * The minute slides: the previous window's count weighs by how much of it is still inside the
 * last 60 s, so a burst inside the quota passes and two windows' edges cannot double it.
 * Counts go to the shared counter (Redis) when it answers, else to this instance's.
 */
export class ApiRateGuard {
  readonly #shared: WindowCounter | undefined;
  readonly #local = new LocalWindowCounter();
  readonly #clock: Clock;

  constructor(clock: Clock, shared?: WindowCounter) {
    this.#clock = clock;
    this.#shared = shared;
  }

  async admit(appId: string, path: string): Promise<void> {
    const limit = API_LIMITS_PER_MINUTE[path];
    if (limit === undefined) return;
    const now = this.#clock.now();
    const windowStart = now - (now % WINDOW_MS);
    const key = `${appId}:${path}`;
    const counter = await this.#counterFor(key, windowStart);
    const { current, previous } = counter.counts;
    const inLastMinute = previous * (1 - (now - windowStart) / WINDOW_MS) + current;
    if (inLastMinute <= limit) return;
    await counter.store.uncount(key, windowStart).catch(() => undefined);
    const retryAfterS = Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000));
    throw new RelayError('RATE_LIMITED', `app ${appId} has made WeChat's limit of ${limit} calls a minute to ${path}; retry after ${retryAfterS} s`, { 'retry-after': String(retryAfterS) });
  }

  async #counterFor(key: string, windowStart: number): Promise<{ store: WindowCounter; counts: { current: number; previous: number } }> {
    if (this.#shared) {
      try {
        return { store: this.#shared, counts: await this.#shared.count(key, windowStart, WINDOW_MS) };
      } catch {
        // Redis away: this instance's own count still keeps it within the quota.
      }
    }
    return { store: this.#local, counts: await this.#local.count(key, windowStart, WINDOW_MS) };
  }
}
