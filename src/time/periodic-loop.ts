import type { Logger } from 'pino';
import { Waker } from './waker.ts';

export interface PeriodicLoopOptions {
  /** Wait between passes, ms, spread by `jitter` so instances do not act in lockstep. */
  intervalMs: number;
  /** Each wait is intervalMs × (min + random × spread); e.g. 0.8–1.0 keeps it at or under the interval. */
  jitter: { min: number; spread: number };
  /** Logged when a pass throws; the loop goes on at the next interval. */
  failureMessage: string;
}

/**
 * Runs `pass` every interval until stopped. A failed pass is logged and retried at the
 * next interval; `stop()` lets the pass in progress finish. `signal` tells a long pass
 * (and its pauses, through `sleep`) that a stop was asked for.
 */
export class PeriodicLoop {
  readonly #options: PeriodicLoopOptions;
  readonly #logger: Logger;
  readonly #pass: () => Promise<unknown>;
  readonly #abort = new AbortController();
  readonly #waker = new Waker();
  #loop: Promise<void> | undefined;

  constructor(options: PeriodicLoopOptions, logger: Logger, pass: () => Promise<unknown>) {
    this.#options = options;
    this.#logger = logger;
    this.#pass = pass;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Waits `ms`, or less when the loop is stopped. */
  sleep(ms: number): Promise<void> {
    return this.#waker.sleep(ms, this.#abort.signal);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#waker.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { intervalMs, jitter, failureMessage } = this.#options;
    while (!this.#abort.signal.aborted) {
      try {
        await this.#pass();
      } catch (error) {
        this.#logger.error({ err: error }, failureMessage);
      }
      await this.sleep(Math.round(intervalMs * (jitter.min + Math.random() * jitter.spread)));
    }
  }
}
