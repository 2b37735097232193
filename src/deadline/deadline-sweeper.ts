import type { Logger } from 'pino';
import type { Clock } from '../time/clock.ts';
import { PeriodicLoop } from '../time/periodic-loop.ts';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import type { ParkedCursor, Housekeeping } from '../storage/relay-store.ts';

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
  store: Housekeeping;
  clock: Clock;
  logger: Logger;
  metrics: RelayMetrics;
  /** Called when the pass created deliveries, so the worker starts them at once. */
  onNewDeliveries: () => void;
  /** Optional: lets a pass skip the database scan for overdue traces when nothing is due. */
  deadlineIndex?: DeadlineIndex;
}

/**
 * How far back each pass re-reads parked pushes before the previous pass began:
 * longer than a push's transaction may stay open (the database's statement
 * timeout, 10 s by default) plus clock skew between instances.
 */
const ADOPT_OVERLAP_MS = 15_000;

/** Each pass: hand parked callbacks to late registrations, time out overdue traces, expire old parked pushes. */
export class DeadlineSweeper {
  readonly #options: DeadlineSweeperOptions;
  readonly #deps: DeadlineSweeperDeps;
  readonly #loop: PeriodicLoop;
  /** Where the next pass starts reading parked pushes; null reads them all once, after a start. */
  #adoptFrom: ParkedCursor | null = null;

  constructor(options: DeadlineSweeperOptions, deps: DeadlineSweeperDeps) {
    this.#options = options;
    this.#deps = deps;
    // 0.8–1.0 of the interval: RELAY_SWEEP_INTERVAL_MS is a promise of "this often or more".
    this.#loop = new PeriodicLoop(
      { intervalMs: options.intervalMs, jitter: { min: 0.8, spread: 0.2 }, failureMessage: 'deadline sweep failed; retrying next interval' },
      deps.logger,
      () => this.sweepOnce(),
    );
  }

  start(): void {
    this.#loop.start();
  }

  /** Stops after the pass in progress. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** One full pass; returns how many traces timed out. */
  async sweepOnce(): Promise<number> {
    const { store, clock, metrics } = this.#deps;
    const stopTimer = metrics.sweepDuration.startTimer();
    const batch = this.#options.batchSize;
    let created = 0;
    let expired: number;
    try {
      created += await this.#adoptParked();
      const now = clock.now();
      const index = this.#deps.deadlineIndex;
      if (!index || await index.mayHaveDue(now)) {
        // The worker hears of each batch's notices as it is stored, so sending them
        // overlaps the rest of the pass instead of waiting for its end.
        expired = await drain((limit) => store.expireOverdue(now, limit), batch, this.#loop.signal, (done) => {
          if (done > 0) this.#deps.onNewDeliveries();
        });
        await index?.scanned(now);
      } else {
        expired = 0;
      }
      await drain((limit) => store.expireParked(clock.now(), limit), batch, this.#loop.signal);
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

  /**
   * Reads the parked pushes received since shortly before the previous pass, a
   * page at a time: the pass costs the recent push rate, not the parked total.
   */
  async #adoptParked(): Promise<number> {
    const { store, clock } = this.#deps;
    const passStartedAt = clock.now();
    let cursor = this.#adoptFrom;
    let adopted = 0;
    for (;;) {
      const page = await store.adoptParkedCallbacks(cursor, this.#options.batchSize, clock.now());
      adopted += page.adopted;
      if (page.next === null) break;
      if (this.#loop.signal.aborted) return adopted;
      cursor = page.next;
    }
    this.#adoptFrom = { receivedAt: passStartedAt - ADOPT_OVERLAP_MS, id: '' };
    return adopted;
  }
}

/** Repeats a batched operation until a batch comes back short. */
async function drain(step: (limit: number) => Promise<number>, batch: number, signal: AbortSignal, afterBatch?: (done: number) => void): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await step(batch);
    total += done;
    afterBatch?.(done);
    if (done < batch || signal.aborted) return total;
  }
}
