import type { Logger } from 'pino';
import type { Clock } from '../time/clock.ts';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import type { ClaimedDelivery, ClaimScope, IngestLease, DeliveryQueue } from '../storage/relay-store.ts';
import { AttemptOutcome } from '../model/delivery-status.ts';
import { buildForwardRequest, UnsendableDeliveryError } from './forward-request.ts';
import type { SendResult } from './http-sender.ts';
import type { Sender } from './sender.ts';
import { decideVerdict, type RetryPolicy } from './retry-policy.ts';
import { Waker } from '../time/waker.ts';
import type { DestinationHealth, Gate } from './destination-health.ts';
import { CompletionBatcher } from './completion-batcher.ts';

export interface DeliveryWorkerOptions {
  owner: string;
  concurrency: number;
  /** How long a claim holds a delivery; past it another instance may take it over. */
  leaseMs: number;
  /** Longest idle wait between polls (other instances' work, expired leases). */
  pollIntervalMs: number;
  policy: RetryPolicy;
  signingSecrets: readonly string[];
  /** Narrows what this instance claims (e.g. tunnels with a listener here); read before each claim. */
  claimScope?: () => ClaimScope;
}

export interface DeliveryWorkerDeps {
  store: DeliveryQueue;
  sender: Sender;
  clock: Clock;
  logger: Logger;
  metrics: RelayMetrics;
  random?: () => number;
  /** Per-origin concurrency cap and circuit breaker; absent = every claim is sent. */
  health?: DestinationHealth;
}

/**
 * Claims due deliveries and forwards them, up to `concurrency` at once. All state
 * is in the database: a killed worker's deliveries come back when their lease ends.
 */
export class DeliveryWorker {
  readonly #options: DeliveryWorkerOptions;
  readonly #deps: DeliveryWorkerDeps;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #waker = new Waker();
  #loop: Promise<void> | undefined;
  readonly #abort = new AbortController();
  /** Slots promised to pushes being stored right now, whose deliveries come leased to this worker. */
  #reserved = 0;
  /** Deliveries in flight that wait for a slot of their busy origin. */
  #waiting = 0;
  /** Attempts are recorded many to a transaction. */
  readonly #completions: CompletionBatcher;
  /**
   * Whether the database may hold work this worker has not looked for: a claim came
   * back full, every slot was busy, new work was signalled, or an attempt set a new
   * due time. Only then does a finished attempt wake the loop to claim: with work
   * handed over at ingest, a claim per verdict would find nothing, four queries each.
   */
  #mayHaveWork = true;

  constructor(options: DeliveryWorkerOptions, deps: DeliveryWorkerDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#completions = new CompletionBatcher(deps.store, deps.clock);
  }

  start(): void {
    this.#loop ??= this.#run(this.#abort.signal);
  }

  /** New work is waiting: skip the rest of the idle wait. */
  wake(): void {
    this.#mayHaveWork = true;
    this.#waker.wake();
  }

  /**
   * Reserves a slot for a delivery that ingest will lease to this worker in the
   * push's own transaction, so it is sent the moment the push is stored, without a
   * claim round trip. Undefined when every slot is taken: the delivery then waits
   * in the database as pending, for this or another instance to claim. Bounded by
   * the worker's concurrency; the database stays the truth (a lease left by a
   * crash runs out and is claimed again).
   */
  reserveHandoff(): Handoff | undefined {
    if (this.#abort.signal.aborted || this.#free() <= 0) return undefined;
    this.#reserved += 1;
    let isSettled = false;
    return {
      lease: { owner: this.#options.owner, leaseMs: this.#options.leaseMs },
      settle: (claim) => {
        if (isSettled) return;
        isSettled = true;
        this.#reserved -= 1;
        if (claim) this.#track(this.#deliver(claim));
      },
    };
  }

  #free(): number {
    const busy = this.#inFlight.size - this.#waiting + this.#reserved;
    // Deliveries waiting for a busy origin do not hold a slot, but their number is bounded too.
    return Math.min(this.#options.concurrency - busy, 2 * this.#options.concurrency - this.#inFlight.size - this.#reserved);
  }

  /** Stops claiming and waits for the attempts in flight to finish and be recorded. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#waker.wake();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let waitMs = this.#options.pollIntervalMs;
      try {
        const free = this.#free();
        if (free > 0) {
          // Cleared before the claim: a wake-up during it sets it again.
          this.#mayHaveWork = false;
          const claims = await this.#deps.store.claimDueDeliveries(this.#options.owner, this.#deps.clock.now(), this.#options.leaseMs, free, this.#options.claimScope?.());
          for (const claim of claims) this.#track(this.#deliver(claim));
          if (claims.length === free) {
            this.#mayHaveWork = true;
            continue;
          }
          waitMs = await this.#idleWaitMs();
        } else {
          this.#mayHaveWork = true;
        }
      } catch (error) {
        this.#mayHaveWork = true;
        this.#deps.logger.error({ err: error }, 'delivery worker could not claim work; retrying');
      }
      await this.#waker.sleep(jitter(waitMs), signal);
    }
  }

  async #idleWaitMs(): Promise<number> {
    const due = await this.#deps.store.nextDueAt(this.#options.claimScope?.());
    if (due === null) return this.#options.pollIntervalMs;
    return Math.max(0, Math.min(this.#options.pollIntervalMs, due - this.#deps.clock.now()));
  }

  #track(task: Promise<void>): void {
    this.#inFlight.add(task);
    // A finished attempt frees a slot: look for more work at once, if there may be some.
    void task.finally(() => {
      this.#inFlight.delete(task);
      if (this.#mayHaveWork) this.#waker.wake();
    });
  }

  async #deliver(claim: ClaimedDelivery): Promise<void> {
    const gate = await this.#enterOrigin(claim.destination);
    if (gate && !gate.isOpen && gate.reason === 'circuit_open') return this.#attempt(claim, async () => circuitOpenResult(gate.retryAt, this.#deps.clock.now()));
    if (gate && !gate.isOpen) return this.#postpone(claim, gate.retryAt, gate.reason);
    try {
      await this.#attempt(claim, gate ? gate.send : (run) => run());
    } finally {
      if (gate) gate.release();
    }
  }

  /**
   * A slot of the destination's origin. Waiting for one frees this worker slot
   * for other servers, so a slow server cannot hold every slot; the number of
   * deliveries waiting is bounded by the worker's concurrency.
   */
  async #enterOrigin(destination: string): Promise<Gate | undefined> {
    const { health } = this.#deps;
    if (!health) return undefined;
    const gate = health.enter(destination);
    if (gate.isOpen || gate.reason !== 'origin_busy' || this.#waiting >= this.#options.concurrency) return gate;
    this.#waiting += 1;
    try {
      return await health.enterWaiting(destination, ORIGIN_WAIT_MS);
    } finally {
      this.#waiting -= 1;
    }
  }

  /** Hands the claim back unsent: not an attempt, so nothing is recorded against the delivery. */
  async #postpone(claim: ClaimedDelivery, retryAt: number, reason: string): Promise<void> {
    this.#deps.metrics.postponed.inc({ reason });
    // A new due time the loop's wait may not know of.
    this.#mayHaveWork = true;
    try {
      await this.#deps.store.releaseClaim(claim, retryAt, this.#deps.clock.now());
    } catch (error) {
      // The lease runs out and the delivery is claimed again: nothing is lost.
      this.#deps.logger.warn({ err: error, delivery_id: claim.id }, 'could not hand a postponed delivery back');
    }
  }

  async #attempt(claim: ClaimedDelivery, guarded: (run: () => Promise<SendResult>) => Promise<SendResult | 'postponed'>): Promise<void> {
    const { sender, clock, metrics, logger } = this.#deps;
    // Plain fields rather than a child logger: a child per attempt costs more than the line.
    const fields = { trace_id: claim.traceId, app_id: claim.appId, delivery_id: claim.id, attempt: claim.attempt, kind: claim.kind, route: claim.routeName ?? undefined };
    const startedAt = clock.now();
    let result: SendResult;
    try {
      const sent = await guarded(() => sender.send(buildForwardRequest(claim, this.#options.signingSecrets, startedAt), () => clock.now()));
      if (sent === 'postponed') return this.#postpone(claim, clock.now() + 1000, 'circuit_half_open');
      result = sent;
    } catch (error) {
      logger.error({ ...fields, err: error }, 'could not build or send the forward');
      const reason = error instanceof UnsendableDeliveryError ? error.message : 'the relay could not send this delivery';
      result = { outcome: AttemptOutcome.refused, httpStatus: null, durationMs: 0, retryAfterMs: null, errorMessage: reason, responseExcerpt: null };
    }
    const now = clock.now();
    const verdict = decideVerdict(this.#options.policy, claim.attempt, result, now, (this.#deps.random ?? Math.random)(), claim.deadlineAt);
    metrics.attempts.inc({ outcome: result.outcome });
    metrics.attemptDuration.observe({ outcome: result.outcome }, result.durationMs / 1000);
    const applied = await this.#record(claim, () => this.#completions.complete({ claim, record: { ...result, startedAt }, verdict }), startedAt, fields);
    if (verdict.kind === 'retry' || applied === undefined) this.#mayHaveWork = true;
    if (applied === undefined) return;
    if (applied && verdict.kind !== 'retry') metrics.deliveries.inc({ kind: claim.kind, outcome: verdict.kind });
    logger.info({ ...fields, status: result.httpStatus, outcome: result.outcome, duration_ms: Math.round(result.durationMs), verdict: verdict.kind, applied }, 'delivery attempt');
  }

  /**
   * Records an attempt, retrying while the database is briefly away (a restart, a
   * failover) and the lease still holds, so a short outage does not turn into a
   * duplicate forward. Past that, the lease runs out and another pass retries the
   * delivery: at-least-once, never lost. Undefined when it could not be recorded.
   */
  async #record(claim: ClaimedDelivery, write: () => Promise<boolean>, claimedAt: number, fields: Record<string, unknown>): Promise<boolean | undefined> {
    const { logger } = this.#deps;
    const giveUpAt = claimedAt + this.#options.leaseMs - RECORD_MARGIN_MS;
    for (let waitMs = 250; ; waitMs = Math.min(waitMs * 2, 2000)) {
      try {
        return await write();
      } catch (error) {
        if (this.#abort.signal.aborted || this.#deps.clock.now() + waitMs >= giveUpAt) {
          logger.error({ ...fields, err: error }, 'could not record the attempt; the delivery will be retried when its lease ends');
          return undefined;
        }
        logger.warn({ ...fields, err: error }, 'could not record the attempt yet; retrying while the lease holds');
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }
}

/** A slot reserved with reserveHandoff: the lease to store the delivery with, and where to hand the result. */
export interface Handoff {
  lease: IngestLease;
  /** The delivery leased at ingest, to send now; null when none was (the slot is freed either way). */
  settle(claim: ClaimedDelivery | null): void;
}

/** The attempt record of a delivery not sent because its destination's circuit is open. */
function circuitOpenResult(probeAt: number, now: number): SendResult {
  return {
    outcome: AttemptOutcome.circuitOpen,
    httpStatus: null,
    durationMs: 0,
    // The next try waits at least for the probe: trying sooner could only be skipped again.
    retryAfterMs: Math.max(0, probeAt - now),
    errorMessage: `not sent: the destination failed repeatedly and its circuit is open until ${new Date(probeAt).toISOString()}`,
    responseExcerpt: null,
  };
}

/** Longest wait for a busy origin's slot before the delivery is handed back to the database for later. */
const ORIGIN_WAIT_MS = 1000;

/** Stop retrying a record this long before the lease ends, so no other instance has taken over yet. */
const RECORD_MARGIN_MS = 5000;

function jitter(ms: number): number {
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}
