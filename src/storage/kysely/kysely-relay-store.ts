import { sql, type Kysely } from 'kysely';
import type { RelayDatabase } from '../database-schema.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import type {
  AttemptRecord, AttemptVerdict, Backlog, ClaimedDelivery, IncomingCallback, IngestOutcome,
  NewRegistration, PendingCursor, PurgeCounts, TraceRecord, RegisterOutcome, RelayStore, TimeoutNoticeBuilder, TraceDetail,
} from '../relay-store.ts';
import { DeliveryStatus } from '../../delivery/delivery-status.ts';
import { claimDueDeliveries } from './claim-deliveries.ts';
import { completeAttempt } from './complete-attempt.ts';
import { expireOverdue } from './expire-overdue.ts';
import { ingestCallback } from './ingest-callback.ts';
import { adoptParkedCallbacks, expireParked } from './parked-callbacks.ts';
import { purgeRetired } from './purge-retired.ts';
import { countBacklog, readTrace } from './read-trace.ts';
import { registerTrace } from './register-trace.ts';
import { num, toTraceRecord } from './row-mappers.ts';
import { TraceStatus } from '../../registration/trace-status.ts';
import { runMigrations } from './run-migrations.ts';

/**
 * The relay's storage on any Kysely dialect. Each method is one transaction;
 * what differs between databases comes in as DialectTraits.
 */
export class KyselyRelayStore implements RelayStore {
  readonly dialect: string;
  readonly #db: Kysely<RelayDatabase>;
  readonly #traits: DialectTraits;

  constructor(db: Kysely<RelayDatabase>, traits: DialectTraits) {
    this.#db = db;
    this.#traits = traits;
    this.dialect = traits.name;
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#db, this.#traits);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  register(input: NewRegistration, now: number): Promise<RegisterOutcome> {
    return this.#db.transaction().execute((trx) => registerTrace(trx, this.#traits, input, now));
  }

  ingestCallback(input: IncomingCallback, now: number, parkedUntil: number): Promise<IngestOutcome> {
    return this.#db.transaction().execute((trx) => ingestCallback(trx, this.#traits, input, now, parkedUntil));
  }

  claimDueDeliveries(owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    return this.#db.transaction().execute((trx) => claimDueDeliveries(trx, this.#traits, owner, now, leaseMs, limit));
  }

  completeAttempt(claim: ClaimedDelivery, record: AttemptRecord, verdict: AttemptVerdict, now: number): Promise<boolean> {
    return this.#db.transaction().execute((trx) => completeAttempt(trx, claim, record, verdict, now));
  }

  expireOverdue(now: number, limit: number, notice: TimeoutNoticeBuilder): Promise<number> {
    return this.#db.transaction().execute((trx) => expireOverdue(trx, this.#traits, now, limit, notice));
  }

  adoptParkedCallbacks(now: number, limit: number): Promise<number> {
    return this.#db.transaction().execute((trx) => adoptParkedCallbacks(trx, now, limit));
  }

  expireParked(now: number, limit: number): Promise<number> {
    return this.#db.transaction().execute((trx) => expireParked(trx, now, limit));
  }

  async nextDueAt(): Promise<number | null> {
    const row = await this.#db.selectFrom('relay_deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('due'))
      .where('status', 'in', [DeliveryStatus.pending, DeliveryStatus.delivering])
      .executeTakeFirst();
    return row?.due === null || row?.due === undefined ? null : num(row.due);
  }

  purgeRetired(cutoff: number, limit: number): Promise<PurgeCounts> {
    return this.#db.transaction().execute((trx) => purgeRetired(trx, this.#traits, cutoff, limit));
  }

  async listPendingTraces(after: PendingCursor | null, limit: number): Promise<TraceRecord[]> {
    // Keyset paging on the (status, deadline_at) index: each page costs its own size.
    let query = this.#db.selectFrom('relay_traces').selectAll()
      .where('status', '=', TraceStatus.pending)
      .orderBy('deadline_at').orderBy('id')
      .limit(limit);
    if (after) {
      query = query.where((eb) => eb.or([
        eb('deadline_at', '>', after.deadlineAt),
        eb.and([eb('deadline_at', '=', after.deadlineAt), eb('id', '>', after.pk)]),
      ]));
    }
    return (await query.execute()).map(toTraceRecord);
  }

  getTrace(appId: string, traceId: string): Promise<TraceDetail | undefined> {
    return readTrace(this.#db, appId, traceId);
  }

  countBacklog(): Promise<Backlog> {
    return countBacklog(this.#db);
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }
}
