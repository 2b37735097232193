import { sql } from 'kysely';
import type { IngestResult } from '../relay-store.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import { CallbackState } from '../../model/callback-state.ts';
import { DeliveryKind, DeliveryStatus } from '../../model/delivery-status.ts';
import { STATUSES_ACCEPTING_CALLBACK, TraceStatus } from '../../model/trace-status.ts';
import { isTunnelDestination } from './claim-scope.ts';
import { batchedIngest, startedResult, type Push, type StartedPush } from '../push-batch.ts';
import { num } from './row-mappers.ts';
import type { Db } from './store-context.ts';

const keyOf = (appId: string, traceId: string): string => `${appId}\u0000${traceId}`;

/** What the batch does with one push: park it, or hand it to its waiting trace. */
type Plan = { push: Push; state: typeof CallbackState.parked } | { push: Push; state: typeof CallbackState.matched; started: StartedPush };
type Starting = Extract<Plan, { started: StartedPush }>;

/**
 * The traces of a batch's pushes, sought by trace id in the trace id index (the
 * caller matches the app), which every backend's planner does with or without
 * statistics; as (app, trace id) pairs, MariaDB without statistics read every
 * trace of the app. Locked where other transactions write at the same time: the
 * rows are locked in the index's order, the same for every batch, so two batches
 * cannot deadlock each other over them (a single writer needs no lock).
 */
export function selectBatchTraces(db: Db, batch: readonly Push[], isLocked: boolean) {
  const query = db.selectFrom('relay_traces')
    .select(['id', 'app_id', 'trace_id', 'status', 'server_uri', 'deadline_at'])
    .where('trace_id', 'in', [...new Set(batch.map(({ input }) => input.correlationId))]);
  return isLocked ? query.forUpdate() : query;
}

/** One trace a batch hands its push. */
export interface TraceMove {
  tracePk: string;
  callbackId: string;
  isLate: boolean;
  now: number;
}

/**
 * The waiting traces of a batch to delivering, each with its push, in one update
 * by primary key alone: the batch holds them since its read, so their status is
 * the one it read. With the status named as well, SQLite and PostgreSQL chose a
 * status index and read every trace in those statuses.
 */
export function moveWaitingTraces(db: Db, moves: readonly TraceMove[]) {
  const caseOf = <T>(value: (move: TraceMove) => T) => sql.join(moves.map((move) => sql`when ${move.tracePk} then ${value(move)}`), sql` `);
  return db.updateTable('relay_traces')
    .set({
      status: TraceStatus.delivering,
      callback_id: sql`case id ${caseOf((move) => move.callbackId)} end`,
      is_late: sql`case id ${caseOf((move) => (move.isLate ? 1 : 0))} end`,
      error: null,
      updated_at: sql`case id ${caseOf((move) => move.now)} end`,
    })
    .where('id', 'in', moves.map((move) => move.tracePk));
}

/** A trace of the batch was not where its read found it: the batch is rolled back, for the general path. */
class TraceMovedError extends Error {}

/**
 * The common pushes of a batch in one transaction of four statements, whatever the
 * batch's size, for a database without PostgreSQL's data-modifying WITH: read the
 * batch's traces, insert every push's callback (parked when nobody registered its
 * id), move the waiting traces to delivering, insert their deliveries. On MariaDB a
 * push's own transaction took six round trips and a commit; here a batch of them
 * shares those. The traces are locked from the read on (see selectBatchTraces), so
 * the statuses read are the ones updated.
 *
 * A push whose trace exists but no longer waits, or whose callback proves to be a
 * repeat, is answered null having changed nothing of its own: the general path
 * runs it after the commit and sees it for what it is.
 */
async function ingestBatchIn(db: Db, traits: DialectTraits, batch: readonly Push[]): Promise<Array<IngestResult | null>> {
  if (batch.length === 0) return [];
  const traces = await selectBatchTraces(db, batch, !traits.groupsCommits).execute();
  const byKey = new Map(traces.map((trace) => [keyOf(trace.app_id, trace.trace_id), trace]));
  const plans = batch.map((push): Plan | null => {
    const trace = byKey.get(keyOf(push.input.appId, push.input.correlationId));
    if (!trace) return { push, state: CallbackState.parked };
    if (!(STATUSES_ACCEPTING_CALLBACK as readonly string[]).includes(trace.status)) return null;
    const deadlineAt = num(trace.deadline_at);
    const started: StartedPush = {
      tracePk: trace.id, serverUri: trace.server_uri, deadlineAt,
      isLate: trace.status === TraceStatus.timedOut || push.now > deadlineAt,
      isLeased: push.lease !== undefined && !isTunnelDestination(trace.server_uri),
    };
    return { push, state: CallbackState.matched, started };
  });
  const toStore = plans.filter((plan): plan is Plan => plan !== null);
  if (toStore.length === 0) return batch.map(() => null);

  const rows = toStore.map(({ push, state }) => ({
    id: push.callbackId, app_id: push.input.appId, correlation_id: push.input.correlationId, dedupe_key: push.input.dedupeKey,
    event: push.input.event, content_type: push.input.contentType, body: push.input.body, fingerprint: push.input.fingerprint,
    state, duplicate_count: 0, received_at: push.now, parked_until: state === CallbackState.parked ? push.parkedUntil : null,
  }));
  const insert = db.insertInto('relay_callbacks').values(rows);
  const inserted = await (traits.supportsOnConflict ? insert.onConflict((conflict) => conflict.doNothing()) : insert.ignore()).executeTakeFirst();
  // A repeat of a stored push inserts nothing: find which went in only when some did not.
  const stored = Number(inserted.numInsertedOrUpdatedRows ?? 0n) === rows.length
    ? new Set(rows.map((row) => row.id))
    : new Set((await db.selectFrom('relay_callbacks').select('id').where('id', 'in', rows.map((row) => row.id)).execute()).map((row) => row.id));

  const starting = toStore.filter((plan): plan is Starting => plan.state === CallbackState.matched && stored.has(plan.push.callbackId));
  if (starting.length > 0) {
    const moved = await moveWaitingTraces(db, starting.map(({ push, started }) => ({ tracePk: started.tracePk, callbackId: push.callbackId, isLate: started.isLate, now: push.now })))
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== starting.length) throw new TraceMovedError('a trace of the batch no longer waits');
    await db.insertInto('relay_deliveries').values(starting.map(({ push, started }) => ({
      id: push.deliveryId, trace_pk: started.tracePk, kind: DeliveryKind.callback, destination: started.serverUri,
      callback_id: push.callbackId, content_type: push.input.contentType, body: null, is_late: started.isLate ? 1 : 0,
      status: started.isLeased ? DeliveryStatus.delivering : DeliveryStatus.pending,
      attempt_count: started.isLeased ? 1 : 0,
      next_attempt_at: started.isLeased && push.lease ? push.now + push.lease.leaseMs : push.now,
      lease_owner: started.isLeased && push.lease ? push.lease.owner : null,
      created_at: push.now, updated_at: push.now, source: null, requested_by: null, app_id: null, route_name: null,
    }))).execute();
  }

  const results = new Map<Push, IngestResult>();
  for (const plan of toStore) {
    if (!stored.has(plan.push.callbackId)) continue;
    results.set(plan.push, plan.state === CallbackState.parked ? { outcome: 'parked', claim: null } : startedResult(plan.push, plan.started));
  }
  return batch.map((push) => results.get(push) ?? null);
}

/**
 * Stores a push for a trace that waits for it, or for an id nobody registered, with
 * the pushes that arrive with it in one transaction (see batchedIngest); null when
 * the push is anything else, having changed nothing. `write` runs a transaction:
 * the pool's own on a server database, a savepoint of the shared commit on SQLite.
 */
export function ingestInOneTransactionOn(write: <T>(work: (trx: Db) => Promise<T>) => Promise<T>, traits: DialectTraits, maxBatch = 256) {
  return batchedIngest((batch) => write((trx) => ingestBatchIn(trx, traits, batch)), maxBatch);
}
