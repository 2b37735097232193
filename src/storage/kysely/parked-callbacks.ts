import { type AdoptPage, type ParkedCursor, type TraceRecord } from '../relay-store.ts';
import { CallbackState } from '../../model/callback-state.ts';
import { STATUSES_ACCEPTING_CALLBACK, TraceStatus } from '../../model/trace-status.ts';
import { num, toTraceRecord } from './row-mappers.ts';
import { selectTrace } from './trace-lookup.ts';
import { startCallbackDelivery, startFollowUpDelivery } from './start-delivery.ts';
import type { Db } from './store-context.ts';

/**
 * The parked pushes for one trace still inside their grace window, oldest first
 * (one for a WeChat trace; a source may push several changes under one id).
 *
 * Every column of the WHERE is in `relay_callbacks_parked_lookup_ix` (0006), so
 * each planner seeks on (app_id, correlation_id, state, parked_until) whether or
 * not it has statistics; the sort is over the few pushes of one trace. Before
 * 0006, SQLite without statistics preferred (state, parked_until) and walked
 * every parked push for each registration.
 */
export function selectParkedFor(db: Db, appId: string, traceId: string, now: number) {
  return db.selectFrom('relay_callbacks')
    .select(['id', 'content_type', 'body'])
    .where('app_id', '=', appId)
    .where('correlation_id', '=', traceId)
    .where('state', '=', CallbackState.parked)
    .where('parked_until', '>=', now)
    .orderBy('received_at')
    .limit(MAX_ADOPTED_PER_TRACE);
}

/** Parked pushes read for a trace at a time. */
const MAX_ADOPTED_PER_TRACE = 50;

/**
 * Hands the trace's parked pushes, if any, to it in arrival order: the first as its
 * push, any later one as a further push (startFollowUpDelivery). Every one, page by
 * page: SQLite has no adoption pass to take what a registration left. Each page
 * leaves parked only what another writer took meanwhile, so the pages end. True
 * when a delivery started.
 */
export async function adoptParkedForTrace(db: Db, trace: TraceRecord, now: number): Promise<boolean> {
  let started = false;
  let isFirst = true;
  for (;;) {
    const parked = await selectParkedFor(db, trace.appId, trace.traceId, now).execute();
    for (const callback of parked) {
      const row = { ...callback, state: CallbackState.parked };
      const result = isFirst ? await startCallbackDelivery(db, trace, row, now) : await startFollowUpDelivery(db, trace, row, now);
      isFirst = false;
      started = result.started || started;
    }
    if (parked.length < MAX_ADOPTED_PER_TRACE) return started;
  }
}

/** As adoptParkedForTrace, found by the trace's key (a hint from the hot index). */
export async function adoptParkedFor(db: Db, appId: string, traceId: string, now: number): Promise<boolean> {
  const trace = await selectTrace(db, appId, traceId);
  if (!trace || !STATUSES_ACCEPTING_CALLBACK.includes(trace.status)) return false;
  return adoptParkedForTrace(db, trace, now);
}

/**
 * One page of parked pushes in arrival order from `from`, each handed to its trace
 * if that trace has since been registered. Registration adopts a parked push
 * itself; this pass covers a push and its registration committed at the same
 * moment on two instances, where neither saw the other.
 *
 * The page is a range of the (state, received_at) index and its traces are read
 * by their unique key in one statement, so a page costs its own size, never the
 * number of parked rows. `next` is null when the page came back short.
 */
export async function adoptParkedPage(db: Db, from: ParkedCursor | null, limit: number, now: number): Promise<AdoptPage> {
  const page = await selectParkedPage(db, from, limit).execute();
  const last = page.at(-1);
  const next = page.length === limit && last ? { receivedAt: num(last.received_at), id: last.id } : null;
  const keyed = page.filter((row): row is typeof row & { correlation_id: string } => row.correlation_id !== null);
  if (keyed.length === 0) return { adopted: 0, next };
  const traces = await selectTracesByIds(db, keyed.map((row) => row.correlation_id)).execute();
  const byKey = new Map(traces.map((row) => [traceKey(row.app_id, row.trace_id), toTraceRecord(row)]));
  let adopted = 0;
  for (const callback of keyed) {
    const trace = byKey.get(traceKey(callback.app_id, callback.correlation_id));
    if (!trace) continue;
    const parked = { ...callback, state: CallbackState.parked };
    const first = STATUSES_ACCEPTING_CALLBACK.includes(trace.status) ? await startCallbackDelivery(db, trace, parked, now) : undefined;
    // A parked push for a trace that has had its push is a further one (only a source sends those).
    const { started } = first?.started ? first : await startFollowUpDelivery(db, trace, parked, now);
    if (!started) continue;
    trace.status = TraceStatus.delivering;
    adopted += 1;
  }
  return { adopted, next };
}

const traceKey = (appId: string, traceId: string): string => `${appId}\n${traceId}`;

/** Parked pushes in arrival order from `from`: a range of the (state, received_at) index. */
export function selectParkedPage(db: Db, from: ParkedCursor | null, limit: number) {
  let query = db.selectFrom('relay_callbacks')
    .select(['id', 'app_id', 'correlation_id', 'content_type', 'body', 'received_at'])
    .where('state', '=', CallbackState.parked)
    .orderBy('received_at').orderBy('id')
    .limit(limit);
  if (from) {
    query = query.where('received_at', '>=', from.receivedAt)
      .where((eb) => eb.or([eb('received_at', '>', from.receivedAt), eb('id', '>', from.id)]));
  }
  return query;
}

/**
 * The traces with these trace ids, each id sought in the trace id index, in one
 * statement; the caller matches them to their apps and keeps those that still
 * accept a verdict. One equality per id rather than an IN list, and
 * neither the app nor the status in the query: otherwise a planner without
 * statistics read the table, or every trace of the app or of those statuses.
 */
export function selectTracesByIds(db: Db, traceIds: readonly string[]) {
  return db.selectFrom('relay_traces').selectAll()
    .where((eb) => eb.or([...new Set(traceIds)].map((traceId) => eb('trace_id', '=', traceId))));
}

/** Parked callbacks past their grace window stay stored, marked expired. */
export async function expireParked(db: Db, now: number, limit: number): Promise<number> {
  const ids = await selectExpiredParked(db, now, limit).execute();
  if (ids.length === 0) return 0;
  await db.updateTable('relay_callbacks')
    .set({ state: CallbackState.expired })
    .where('id', 'in', ids.map((row) => row.id))
    .where('state', '=', CallbackState.parked)
    .execute();
  return ids.length;
}

/** Parked pushes past their grace window: a range of the (state, parked_until) index. */
export function selectExpiredParked(db: Db, now: number, limit: number) {
  return db.selectFrom('relay_callbacks').select('id')
    .where('state', '=', CallbackState.parked)
    .where('parked_until', '<', now)
    .limit(limit);
}
