import { sql, type Kysely } from 'kysely';
import type { RelayDatabase } from '../database-schema.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import type {
  AdoptPage, AttemptCompletion, AttemptRecord, AttemptVerdict, AuditEntry, Backlog, ClaimedDelivery, ClaimScope, IncomingCallback, IngestOutcome,
  IngestLease, IngestResult, NewRegistration, ParkedCursor, PendingCursor, PurgeCounts, RedriveCursor, RedriveFilter, RedrivePage, RegisterOutcome, RelayStore, ReplayOutcome,
  TraceDetail, TraceRecord,
} from '../relay-store.ts';
import type { ActivityBucket, DestinationHealth, TraceCursor, TraceFilter, TracePage } from '../relay-store.ts';
import { listAudit, recordAudit } from './audit-log.ts';
import { claimTokenRenewal, readAccessToken, recordTokenFailure, saveAccessToken } from './access-tokens.ts';
import type { AccessTokenRecord, RenewedToken } from '../access-token-store.ts';
import { countRedrivable, redriveFailedPage } from './redrive-failed.ts';
import { replayTrace } from './replay-trace.ts';
import type { CallbackDetail, CallbackFilter, CallbackSummary } from '../relay-store.ts';
import { DeliveryStatus } from '../../model/delivery-status.ts';
import { claimDueDeliveries, nextDueAt } from './claim-deliveries.ts';
import { completeAttempts } from './complete-attempt.ts';
import { expireOverdue } from './expire-overdue.ts';
import { GroupCommit } from './group-commit.ts';
import { ingestCallback } from './ingest-callback.ts';
import { ingestInOneTransactionOn } from './ingest-in-one-transaction.ts';
import { adoptParkedFor, adoptParkedPage, expireParked } from './parked-callbacks.ts';
import { purgeRetired } from './purge-retired.ts';
import { countActivity } from './count-activity.ts';
import { listTraces } from './list-traces.ts';
import { countBacklog, readTrace } from './read-trace.ts';
import { summarizeDestinations } from './summarize-destinations.ts';
import { listCallbacks, readCallback } from './read-callbacks.ts';
import { registerTrace } from './register-trace.ts';
import { toTraceRecord } from './row-mappers.ts';
import { changedRows } from './store-context.ts';
import { TraceStatus } from '../../model/trace-status.ts';
import { runMigrations } from './run-migrations.ts';
import type { Db } from './store-context.ts';

/**
 * The relay's storage on any Kysely dialect. Each method is one transaction;
 * what differs between databases comes in as DialectTraits.
 */
export class KyselyRelayStore implements RelayStore {
  readonly dialect: string;
  readonly #db: Kysely<RelayDatabase>;
  readonly #traits: DialectTraits;
  readonly #groupCommit: GroupCommit | undefined;
  readonly #ingestInBatches: DialectTraits['ingestInBatches'];

  constructor(db: Kysely<RelayDatabase>, traits: DialectTraits) {
    this.#db = db;
    this.#traits = traits;
    this.dialect = traits.name;
    this.#groupCommit = traits.groupsCommits ? new GroupCommit(db) : undefined;
    this.#ingestInBatches = traits.ingestInBatches ?? (traits.batchesIngest ? ingestInOneTransactionOn((work) => this.#write(work), traits) : undefined);
  }

  /** One transaction per call; on a single-writer database, merged with concurrent ones into one commit. */
  #write<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    return this.#groupCommit ? this.#groupCommit.run(work) : this.#db.transaction().execute(work);
  }

  async migrate(): Promise<void> {
    await runMigrations(this.#db, this.#traits);
    await this.#traits.analyzeNeverAnalyzed?.();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  register(input: NewRegistration, now: number): Promise<RegisterOutcome> {
    return this.#write((trx) => registerTrace(trx, this.#traits, input, now));
  }

  async ingestCallback(input: IncomingCallback, now: number, parkedUntil: number): Promise<IngestOutcome> {
    return (await this.#ingest(input, now, parkedUntil, undefined)).outcome;
  }

  ingestAndLease(input: IncomingCallback, now: number, parkedUntil: number, lease: IngestLease): Promise<IngestResult> {
    return this.#ingest(input, now, parkedUntil, lease);
  }

  /** The common pushes in batches where the database has them; anything else (or a database without) in the general transaction. */
  async #ingest(input: IncomingCallback, now: number, parkedUntil: number, lease: IngestLease | undefined): Promise<IngestResult> {
    const inBatches = this.#ingestInBatches;
    const stored = inBatches && input.correlationId !== null ? await inBatches(input, now, parkedUntil, lease) : null;
    return stored ?? this.#write((trx) => ingestCallback(trx, this.#traits, input, now, parkedUntil, lease));
  }

  claimDueDeliveries(owner: string, now: number, leaseMs: number, limit: number, scope?: ClaimScope): Promise<ClaimedDelivery[]> {
    return this.#write((trx) => claimDueDeliveries(trx, this.#traits, owner, now, leaseMs, limit, scope));
  }

  releaseClaim(claim: ClaimedDelivery, retryAt: number, now: number): Promise<boolean> {
    return this.#write(async (trx) => changedRows(await trx.updateTable('relay_deliveries')
      .set({ status: DeliveryStatus.pending, lease_owner: null, next_attempt_at: retryAt, attempt_count: claim.attempt - 1, updated_at: now })
      .where('id', '=', claim.id)
      .where('status', '=', DeliveryStatus.delivering)
      .where('lease_owner', '=', claim.leaseOwner)
      .where('attempt_count', '=', claim.attempt)
      .executeTakeFirst()) === 1);
  }

  async completeAttempt(claim: ClaimedDelivery, record: AttemptRecord, verdict: AttemptVerdict, now: number): Promise<boolean> {
    const [applied] = await this.completeAttempts([{ claim, record, verdict }], now);
    return applied === true;
  }

  /** The common batch in one statement where the database can; any other in the general transaction. */
  async completeAttempts(completions: readonly AttemptCompletion[], now: number): Promise<boolean[]> {
    const oneStatement = this.#traits.completeInOneStatement;
    const recorded = oneStatement ? await oneStatement(completions, now) : null;
    return recorded ?? this.#write((trx) => completeAttempts(trx, this.#traits, completions, now));
  }

  expireOverdue(now: number, limit: number): Promise<number> {
    return this.#write((trx) => expireOverdue(trx, this.#traits, now, limit));
  }

  async adoptParkedCallbacks(from: ParkedCursor | null, limit: number, now: number): Promise<AdoptPage> {
    // One writer, one connection: a registration always sees a push stored before it and
    // the other way round, so the cross-instance race this pass closes cannot happen.
    if (this.#traits.groupsCommits) return { adopted: 0, next: null };
    return this.#write((trx) => adoptParkedPage(trx, from, limit, now));
  }

  adoptParkedFor(appId: string, traceId: string, now: number): Promise<boolean> {
    return this.#write((trx) => adoptParkedFor(trx, appId, traceId, now));
  }

  expireParked(now: number, limit: number): Promise<number> {
    return this.#write((trx) => expireParked(trx, now, limit));
  }

  nextDueAt(scope?: ClaimScope): Promise<number | null> {
    return nextDueAt(this.#db, scope);
  }

  purgeRetired(cutoff: number, limit: number): Promise<PurgeCounts> {
    return this.#write((trx) => purgeRetired(trx, this.#traits, cutoff, limit));
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

  listCallbacks(filter: CallbackFilter): Promise<CallbackSummary[]> {
    return listCallbacks(this.#db, filter);
  }

  getCallback(id: string): Promise<CallbackDetail | undefined> {
    return readCallback(this.#db, id);
  }

  countBacklog(): Promise<Backlog> {
    return countBacklog(this.#db);
  }

  listTraces(filter: TraceFilter, after: TraceCursor | null, limit: number): Promise<TracePage> {
    return listTraces(this.#db, filter, after, limit);
  }

  summarizeDestinations(since: number, limit: number): Promise<DestinationHealth[]> {
    return summarizeDestinations(this.#db, since, limit);
  }

  countActivity(from: number, to: number, bucketMs: number): Promise<ActivityBucket[]> {
    return countActivity(this.#db, from, to, bucketMs);
  }

  replayTrace(appId: string, traceId: string, actor: string, now: number): Promise<ReplayOutcome> {
    return this.#write((trx) => replayTrace(trx, appId, traceId, actor, now));
  }

  countRedrivable(filter: RedriveFilter): Promise<number> {
    return countRedrivable(this.#db, filter);
  }

  redriveFailedPage(filter: RedriveFilter, after: RedriveCursor | null, limit: number, actor: string, now: number): Promise<RedrivePage> {
    return this.#write((trx) => redriveFailedPage(trx, this.#traits, filter, after, limit, actor, now));
  }

  recordAudit(entry: AuditEntry): Promise<void> {
    return this.#write((trx) => recordAudit(trx, entry));
  }

  listAudit(limit: number, before?: number): Promise<AuditEntry[]> {
    return listAudit(this.#db, limit, before);
  }

  readAccessToken(appId: string): Promise<AccessTokenRecord | undefined> {
    return readAccessToken(this.#db, appId);
  }

  claimTokenRenewal(appId: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    return this.#write((trx) => claimTokenRenewal(trx, this.#traits, appId, owner, now, leaseMs));
  }

  saveAccessToken(appId: string, owner: string, renewed: RenewedToken, now: number): Promise<boolean> {
    return this.#write((trx) => saveAccessToken(trx, appId, owner, renewed, now));
  }

  recordTokenFailure(appId: string, owner: string, error: string, now: number): Promise<void> {
    return this.#write((trx) => recordTokenFailure(trx, appId, owner, error, now));
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }
}
