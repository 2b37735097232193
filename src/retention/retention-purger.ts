import type { Logger } from 'pino';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import type { Housekeeping } from '../storage/relay-store.ts';
import type { Clock } from '../time/clock.ts';
import { PeriodicLoop } from '../time/periodic-loop.ts';

export interface RetentionPurgerOptions {
  /** Traces finished longer ago than this are purged, days. */
  retentionDays: number;
  /** Time between purge passes, ms. */
  intervalMs: number;
  /** Traces per transaction: small, so ingest never waits long behind a purge. */
  batchSize: number;
  /** Most batches in one pass, so a large backlog is worked off over several passes. */
  maxBatchesPerPass: number;
}

export interface RetentionPurgerDeps {
  store: Housekeeping;
  clock: Clock;
  logger: Logger;
  metrics: RelayMetrics;
}

const DAY_MS = 86_400_000;
/** Pause between batches: lets ingest and claims in between. */
const BATCH_PAUSE_MS = 50;

/** Deletes delivered and timed-out traces past the retention period, a small batch at a time. */
export class RetentionPurger {
  readonly #options: RetentionPurgerOptions;
  readonly #deps: RetentionPurgerDeps;
  readonly #loop: PeriodicLoop;

  constructor(options: RetentionPurgerOptions, deps: RetentionPurgerDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#loop = new PeriodicLoop(
      { intervalMs: options.intervalMs, jitter: { min: 0.8, spread: 0.4 }, failureMessage: 'retention purge failed; retrying next interval' },
      deps.logger,
      () => this.purgeOnce(),
    );
  }

  start(): void {
    this.#loop.start();
  }

  /** Stops after the batch in progress. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** One pass; returns how many traces were purged. */
  async purgeOnce(): Promise<number> {
    const { store, clock, metrics } = this.#deps;
    const { batchSize, maxBatchesPerPass } = this.#options;
    const cutoff = clock.now() - this.#options.retentionDays * DAY_MS;
    let traces = 0;
    let strays = 0;
    let routed = 0;
    for (let batch = 0; batch < maxBatchesPerPass && !this.#loop.signal.aborted; batch += 1) {
      const purged = await store.purgeRetired(cutoff, batchSize);
      traces += purged.traces;
      strays += purged.strayCallbacks;
      routed += purged.routedEvents;
      if (purged.traces < batchSize && purged.strayCallbacks < batchSize && purged.routedEvents < batchSize) break;
      await this.#loop.sleep(BATCH_PAUSE_MS);
    }
    if (traces + strays + routed > 0) {
      metrics.purged.inc({ kind: 'trace' }, traces);
      metrics.purged.inc({ kind: 'stray_callback' }, strays);
      metrics.purged.inc({ kind: 'routed_event' }, routed);
      this.#deps.logger.info({ traces, stray_callbacks: strays, routed_events: routed, retention_days: this.#options.retentionDays }, 'retention purge');
    }
    return traces;
  }
}
