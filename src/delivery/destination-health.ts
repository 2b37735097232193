import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhenResult, type CircuitBreakerPolicy } from 'cockatiel';
import { LRUCache } from 'lru-cache';
import { AttemptOutcome } from '../model/delivery-status.ts';
import type { SendResult } from './http-sender.ts';

export interface DestinationHealthOptions {
  /** Sends in flight at once to one origin (scheme, host, port), per instance. */
  concurrencyPerOrigin: number;
  /** Consecutive failures that open an origin's circuit; 0 turns the breaker off. */
  breakerFailures: number;
  /** How long an open circuit waits before one probe is let through, ms. */
  breakerCooldownMs: number;
}

export const CircuitStateName = { closed: 'closed', open: 'open', halfOpen: 'half_open' } as const;
export type CircuitStateName = (typeof CircuitStateName)[keyof typeof CircuitStateName];

export interface DestinationState {
  origin: string;
  state: CircuitStateName;
  inFlight: number;
  consecutiveFailures: number;
  openedAt: number | null;
  /** When an open circuit lets its probe through. */
  probeAt: number | null;
}

/** Why a delivery was not sent now, and when to try it again. */
export type Gate =
  | { isOpen: true; send: (run: () => Promise<SendResult>) => Promise<SendResult | 'postponed'>; release: () => void }
  | { isOpen: false; reason: 'circuit_open' | 'origin_busy'; retryAt: number };

/**
 * A dead server answers nothing, timeout after timeout; this failure is counted
 * as the server's. A 4xx means it is alive (and wrong), so it does not count.
 */
export const isServerFailure = (result: SendResult): boolean =>
  result.outcome === AttemptOutcome.timeout || result.outcome === AttemptOutcome.networkError
  || (result.httpStatus !== null && (result.httpStatus >= 500 || result.httpStatus === 429));

interface Origin {
  inFlight: number;
  /** Sends waiting for a slot, oldest first; each is called when one frees. */
  waiters: Array<() => void>;
  failures: number;
  openedAt: number | null;
  breaker: CircuitBreakerPolicy | undefined;
}

const NAMES: Record<number, CircuitStateName> = {
  [CircuitState.Closed]: CircuitStateName.closed,
  [CircuitState.Open]: CircuitStateName.open,
  [CircuitState.HalfOpen]: CircuitStateName.halfOpen,
  [CircuitState.Isolated]: CircuitStateName.open,
};

/**
 * Per-origin protection so one dead server cannot starve the others: a cap on
 * sends in flight and a circuit breaker (consecutive failures → open; after the
 * cooldown one probe; its success closes it). State is per instance, in memory:
 * it protects this process's worker slots, and a restart starts closed.
 */
export class DestinationHealth {
  readonly #options: DestinationHealthOptions;
  readonly #origins = new Map<string, Origin>();
  /** Each destination's origin, parsed once rather than on every send (and every wait for a slot). */
  readonly #originOfUrl = new LRUCache<string, string>({ max: 4096 });
  readonly #now: () => number;

  constructor(options: DestinationHealthOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  /** Takes a slot for `url`'s origin, or says when to come back. */
  enter(url: string): Gate {
    const origin = this.#origin(this.#originKey(url));
    const now = this.#now();
    const probeAt = origin.openedAt === null ? null : origin.openedAt + this.#options.breakerCooldownMs;
    if (origin.breaker?.state === CircuitState.Open && probeAt !== null && now < probeAt) {
      return { isOpen: false, reason: 'circuit_open', retryAt: probeAt };
    }
    if (origin.inFlight >= this.#options.concurrencyPerOrigin) {
      return { isOpen: false, reason: 'origin_busy', retryAt: now + 250 + Math.floor(Math.random() * 500) };
    }
    origin.inFlight += 1;
    let isReleased = false;
    const release = () => {
      if (isReleased) return;
      isReleased = true;
      origin.inFlight -= 1;
      origin.waiters.shift()?.();
    };
    const send = async (run: () => Promise<SendResult>): Promise<SendResult | 'postponed'> => {
      try {
        if (!origin.breaker) return this.#count(origin, await run());
        return this.#count(origin, await origin.breaker.execute(run));
      } catch (error) {
        // Half-open with its one probe already out: this one waits.
        if (error instanceof BrokenCircuitError) return 'postponed';
        throw error;
      } finally {
        // The cap is on requests the server sees; recording the answer does not load it.
        release();
      }
    };
    return { isOpen: true, send, release };
  }

  /**
   * As enter, but a send that finds its origin busy waits up to `maxWaitMs` for a
   * slot, in arrival order, instead of being turned away at once: a burst to one
   * server then flows at the cap rather than bouncing through the database.
   */
  async enterWaiting(url: string, maxWaitMs: number): Promise<Gate> {
    const giveUpAt = this.#now() + maxWaitMs;
    const origin = this.#origin(this.#originKey(url));
    let gate = this.enter(url);
    // A freed slot may be taken by a send that did not wait before this one wakes: then wait again.
    while (!gate.isOpen && gate.reason === 'origin_busy' && this.#now() < giveUpAt) {
      if (!await this.#waitForSlot(origin, giveUpAt - this.#now())) return gate;
      gate = this.enter(url);
    }
    return gate;
  }

  /** True when a slot of `origin` was freed within `ms`. */
  #waitForSlot(origin: Origin, ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const onFree = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const index = origin.waiters.indexOf(onFree);
        if (index >= 0) origin.waiters.splice(index, 1);
        resolve(false);
      }, ms);
      origin.waiters.push(onFree);
    });
  }

  /** Origins seen by this instance, for the admin API and metrics. */
  states(): DestinationState[] {
    return [...this.#origins.entries()].map(([origin, item]) => {
      const state = item.breaker ? NAMES[item.breaker.state] ?? CircuitStateName.closed : CircuitStateName.closed;
      const isOpen = state === CircuitStateName.open && item.openedAt !== null;
      return {
        origin,
        state,
        inFlight: item.inFlight,
        consecutiveFailures: item.failures,
        openedAt: isOpen ? item.openedAt : null,
        probeAt: isOpen && item.openedAt !== null ? item.openedAt + this.#options.breakerCooldownMs : null,
      };
    });
  }

  #count(origin: Origin, result: SendResult): SendResult {
    if (result.outcome === AttemptOutcome.refused) return result;
    origin.failures = isServerFailure(result) ? origin.failures + 1 : 0;
    return result;
  }

  #originKey(url: string): string {
    let key = this.#originOfUrl.get(url);
    if (key === undefined) {
      key = originOf(url);
      this.#originOfUrl.set(url, key);
    }
    return key;
  }

  #origin(key: string): Origin {
    let origin = this.#origins.get(key);
    if (!origin) {
      const created: Origin = { inFlight: 0, waiters: [], failures: 0, openedAt: null, breaker: undefined };
      if (this.#options.breakerFailures > 0) {
        const breaker = circuitBreaker(handleWhenResult((result) => isServerFailure(result as SendResult)), {
          halfOpenAfter: this.#options.breakerCooldownMs,
          breaker: new ConsecutiveBreaker(this.#options.breakerFailures),
        });
        breaker.onBreak(() => {
          created.openedAt = this.#now();
        });
        breaker.onReset(() => {
          created.openedAt = null;
        });
        created.breaker = breaker;
      }
      this.#origins.set(key, created);
      origin = created;
    }
    return origin;
  }
}

/** scheme://host:port, the unit a server lives or dies by (for `tunnel://name/…`, the tunnel's name). */
export function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.origin !== 'null' ? parsed.origin : `${parsed.protocol}//${parsed.host}`;
  } catch {
    return url;
  }
}
