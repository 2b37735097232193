import type { Logger } from 'pino';
import type { Clock } from '../time/clock.ts';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import type { RelayStore } from '../storage/relay-store.ts';
import { Waker } from '../delivery/waker.ts';
import { buildTimeoutNotice } from './timeout-notice.ts';

export interface DeadlineSweeperOptions {
  intervalMs: number;
  /** Rows per transaction: small batches keep each write short next to ingest. */
  batchSize: number;
}

/**
 * An outside index of deadlines (Redis) that can spare the database scan when it
 * knows nothing is due. It must answer true whenever it is unsure.
 */
export interface DeadlineIndex {
  /** False only when the index is complete and holds no deadline at or before `now`. */
  mayHaveDue(now: number): Promise<boolean>;
  /** Told after the database was scanned for deadlines up to `now`. */
  scanned(now: number): Promise<void>;
}

export interface DeadlineSweeperDeps {
  store: RelayStore;
  clock: Clock;
  logger: Logger;
  metrics: RelayMetrics;
  /** Called when the pass created deliveries, so the worker starts them at once. */
  onNewDeliveries: () => void;
  /** Optional: lets a pass skip the database scan for overdue traces when nothing is due. */
  deadlineIndex?: DeadlineIndex;
}

/** Each pass: hand parked callbacks to late registrations, time out overdue traces, expire old parked pushes. */
export class DeadlineSweeper {
  readonly #options: DeadlineSweeperOptions;
  readonly #deps: DeadlineSweeperDeps;
  readonly #abort = new AbortController();
  readonly #waker = new Waker();
  #loop: Promise<void> | undefined;

  constructor(options: DeadlineSweeperOptions, deps: DeadlineSweeperDeps) {
    this.#options = options;
    this.#deps = deps;
  }

  start(): void {
    this.#loop ??= this.#run(this.#abort.signal);
  }

  /** Stops after the pass in progress. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#waker.wake();
    await this.#loop;
  }

  /** One full pass; returns how many traces timed out. */
  async sweepOnce(): Promise<number> {
    const { store, clock, metrics } = this.#deps;
    const stopTimer = metrics.sweepDuration.startTimer();
    const batch = this.#options.batchSize;
    let created = 0;
    let expired: number;
    try {
      created += await drain((limit) => store.adoptParkedCallbacks(clock.now(), limit), batch, this.#abort.signal);
      const now = clock.now();
      const index = this.#deps.deadlineIndex;
      if (!index || await index.mayHaveDue(now)) {
        expired = await drain((limit) => store.expireOverdue(now, limit, buildTimeoutNotice), batch, this.#abort.signal);
        await index?.scanned(now);
      } else {
        expired = 0;
      }
      await drain((limit) => store.expireParked(clock.now(), limit), batch, this.#abort.signal);
    } finally {
      stopTimer();
    }
    created += expired;
    if (expired > 0) {
      metrics.timedOut.inc(expired);
      this.#deps.logger.info({ timed_out: expired }, 'deadline sweep timed out traces');
    }
    if (created > 0) this.#deps.onNewDeliveries();
    return expired;
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.sweepOnce();
      } catch (error) {
        this.#deps.logger.error({ err: error }, 'deadline sweep failed; retrying next interval');
      }
      const interval = this.#options.intervalMs;
      await this.#waker.sleep(Math.round(interval * (0.8 + Math.random() * 0.2)), signal);
    }
  }
}

/** Repeats a batched operation until a batch comes back short. */
async function drain(step: (limit: number) => Promise<number>, batch: number, signal: AbortSignal): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await step(batch);
    total += done;
    if (done < batch || signal.aborted) return total;
  }
}
