import type pg from 'pg';
import type { ClaimedDelivery, IncomingCallback, IngestLease, IngestResult } from '../relay-store.ts';
import { newRowId } from '../row-id.ts';
import { BatchQueue, type Settled } from '../../time/batch-queue.ts';
import { CallbackState } from '../../model/callback-state.ts';
import { DeliveryKind, DeliveryStatus } from '../../model/delivery-status.ts';
import { STATUSES_ACCEPTING_CALLBACK, TraceStatus } from '../../model/trace-status.ts';

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const ACCEPTING = STATUSES_ACCEPTING_CALLBACK.map(literal).join(', ');

/**
 * The two common pushes, for a whole batch of them in one statement: the first push
 * for a trace that waits for it (lock the trace, insert the callback, move the trace
 * to delivering, insert its delivery, leased to the ingesting worker unless it goes
 * to a dev tunnel), and a push for an id nobody has registered (insert it parked).
 * One statement is one round trip and one commit for the batch, against six round
 * trips and a commit for each push: on PostgreSQL the round trips and the commits,
 * not the SQL, were most of a push's cost (of the driver on the relay's side, and of
 * the server's). Every other case (a repeat, a trace that no longer waits) changes
 * nothing here and is answered null, for the general path.
 *
 * The pushes come in as parallel arrays (one element per push, numbered by
 * `with ordinality`), sorted by (app, trace id): each trace is found through its key
 * by a lateral look-up (a join would let the planner scan the table for a large
 * batch), in the batch's order, so two batches lock their traces in one order and
 * cannot deadlock each other.
 *   $1 app, $2 trace id, $3 callback id, $4 dedupe key, $5 event, $6 content type,
 *   $7 body, $8 fingerprint, $9 now, $10 delivery id, $11 lease owner (null: no
 *   lease), $12 lease ms, $13 parked until.
 */
const SQL = `with i as (
  select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::bigint[]) with ordinality
    as i(app_id, trace_id, callback_id, dedupe_key, event, content_type, body, fingerprint, now, delivery_id, lease_owner, lease_ms, parked_until, n)
), t as (
  select r.* from i cross join lateral (
    select id, app_id, trace_id, status, server_uri, deadline_at from relay_traces
    where app_id = i.app_id and trace_id = i.trace_id and status in (${ACCEPTING})
    for update
  ) r
), l as (
  select i.n, t.id, t.server_uri, t.deadline_at,
    (t.status = ${literal(TraceStatus.timedOut)} or i.now > t.deadline_at) as late,
    (i.lease_owner is not null and t.server_uri not like 'tunnel:%') as leased
  from i join t on t.app_id = i.app_id and t.trace_id = i.trace_id
), c as (
  insert into relay_callbacks (id, app_id, correlation_id, dedupe_key, event, content_type, body, fingerprint, state, duplicate_count, received_at, parked_until)
  select i.callback_id, i.app_id, i.trace_id, i.dedupe_key, i.event, i.content_type, i.body, i.fingerprint, ${literal(CallbackState.matched)}, 0, i.now, null::bigint
  from i join l on l.n = i.n
  union all
  select i.callback_id, i.app_id, i.trace_id, i.dedupe_key, i.event, i.content_type, i.body, i.fingerprint, ${literal(CallbackState.parked)}, 0, i.now, i.parked_until
  from i left join lateral (select 1 as found from relay_traces r where r.app_id = i.app_id and r.trace_id = i.trace_id limit 1) e on true
  where e.found is null
  on conflict do nothing
  returning id, state
), u as (
  update relay_traces
  set status = ${literal(TraceStatus.delivering)}, callback_id = c.id, is_late = case when l.late then 1 else 0 end, error = null, updated_at = i.now
  from l join i on i.n = l.n join c on c.id = i.callback_id
  where relay_traces.id = l.id and c.state = ${literal(CallbackState.matched)}
  returning relay_traces.id
), d as (
  insert into relay_deliveries (id, trace_pk, kind, destination, callback_id, content_type, body, is_late, status, attempt_count, next_attempt_at, lease_owner, created_at, updated_at, source, requested_by, app_id, route_name)
  select i.delivery_id, u.id, ${literal(DeliveryKind.callback)}, l.server_uri, i.callback_id, i.content_type, null, case when l.late then 1 else 0 end,
    case when l.leased then ${literal(DeliveryStatus.delivering)} else ${literal(DeliveryStatus.pending)} end,
    case when l.leased then 1 else 0 end,
    case when l.leased then i.now + i.lease_ms else i.now end,
    case when l.leased then i.lease_owner else null end,
    i.now, i.now, null, null, null, null
  from u join l on l.id = u.id join i on i.n = l.n
  returning id
)
select i.n, c.state as stored, l.id as trace_pk, l.server_uri, l.deadline_at, l.late, l.leased, d.id is not null as started
from i left join c on c.id = i.callback_id left join l on l.n = i.n left join d on d.id = i.delivery_id
order by i.n`;

interface Row {
  /** The state the callback was stored in; null when nothing was stored. */
  stored: string | null;
  trace_pk: string | null;
  server_uri: string;
  deadline_at: string | number;
  late: boolean;
  leased: boolean;
  started: boolean;
}

/** One push of a batch, with the row ids it will have if it is stored. */
export interface Push {
  input: IncomingCallback & { correlationId: string };
  now: number;
  parkedUntil: number;
  lease: IngestLease | undefined;
  callbackId: string;
  deliveryId: string;
}

/** What a push's row in the batch's answer means: its result, or null for the general path. */
function resultOf(push: Push, row: Row | undefined): IngestResult | null {
  if (row?.stored === CallbackState.parked) return { outcome: 'parked', claim: null };
  if (!row || row.stored !== CallbackState.matched || !row.started || row.trace_pk === null) return null;
  const outcome = row.late ? 'late' : 'forwarded';
  const { input, lease } = push;
  if (!row.leased || !lease) return { outcome, claim: null };
  const claim: ClaimedDelivery = {
    id: push.deliveryId, tracePk: row.trace_pk, appId: input.appId, traceId: input.correlationId, routeName: null, kind: DeliveryKind.callback,
    destination: row.server_uri, contentType: input.contentType, body: input.body, isLate: row.late,
    attempt: 1, leaseOwner: lease.owner, createdAt: push.now, deadlineAt: Number(row.deadline_at),
  };
  return { outcome, claim };
}

/**
 * Two pushes for one trace (or one dedupe key) must not meet in one statement: both
 * would see the trace waiting. The first of each goes in; a later one is answered
 * null and takes the general path after the batch has committed, where it is seen
 * for what it is (a repeat or a conflict).
 */
function firstOfEachKey(pushes: readonly Push[]): boolean[] {
  const seen = new Set<string>();
  return pushes.map(({ input }) => {
    const trace = `t\u0000${input.appId}\u0000${input.correlationId}`;
    const dedupe = `d\u0000${input.appId}\u0000${input.dedupeKey}`;
    if (seen.has(trace) || seen.has(dedupe)) return false;
    seen.add(trace).add(dedupe);
    return true;
  });
}

/** The batch statement and its arrays, for pushes with distinct traces and dedupe keys. */
export function ingestBatchQuery(batch: readonly Push[]): { name: string; text: string; values: unknown[] } {
  const column = <T>(pick: (push: Push) => T): T[] => batch.map(pick);
  return {
    name: 'relay_ingest_batch',
    text: SQL,
    values: [
      column((p) => p.input.appId), column((p) => p.input.correlationId), column((p) => p.callbackId), column((p) => p.input.dedupeKey),
      column((p) => p.input.event), column((p) => p.input.contentType), column((p) => p.input.body), column((p) => p.input.fingerprint),
      column((p) => p.now), column((p) => p.deliveryId), column((p) => p.lease?.owner ?? null), column((p) => p.lease?.leaseMs ?? 0), column((p) => p.parkedUntil),
    ],
  };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byKey = (a: Push, b: Push): number => compare(a.input.appId, b.input.appId) || compare(a.input.correlationId, b.input.correlationId);

/**
 * The batch's statement is atomic: if it fails (a deadlock with another kind of
 * statement, a lock wait cancelled, the database gone), nothing of it was stored, and
 * each push is answered null, to be stored by the general path one by one; with the
 * database gone that fails too, and the push is not acknowledged. If the statement
 * did commit but its answer was lost with the connection, the general path finds each
 * push stored and answers it as a repeat; its delivery, leased to no live hand-off,
 * is claimed again when the lease runs out.
 */
async function ingestBatch(pool: pg.Pool, pushes: readonly Push[]): Promise<Array<IngestResult | null>> {
  const admitted = firstOfEachKey(pushes);
  const batch = pushes.filter((_, index) => admitted[index]).sort(byKey);
  let rows: Row[];
  try {
    ({ rows } = await pool.query<Row>(ingestBatchQuery(batch)));
  } catch {
    return pushes.map(() => null);
  }
  const results = new Map(batch.map((push, index) => [push, resultOf(push, rows[index])]));
  return pushes.map((push) => results.get(push) ?? null);
}

/**
 * Stores a push for a trace that accepts it, or for an id nobody registered, with the
 * pushes that arrive with it in one statement; null when the push is anything else,
 * having changed nothing: the caller then runs the general ingest. Pushes gather as
 * completions do (BatchQueue): a push waits at most for the batch in flight, and an
 * idle relay sends each alone at once. If the statement fails, each push of the batch
 * goes to the general path (see ingestBatch), which stores it or fails it on its own.
 * A named statement, so each connection plans it once rather than on every batch.
 */
export function ingestInOneStatementOn(pool: pg.Pool, maxBatch = 256) {
  const queue = new BatchQueue<Push, IngestResult | null>(async (pushes) => {
    const results = await ingestBatch(pool, pushes);
    return results.map((value): Settled<IngestResult | null> => ({ ok: true, value }));
  }, maxBatch);
  return (input: IncomingCallback, now: number, parkedUntil: number, lease: IngestLease | undefined): Promise<IngestResult | null> => {
    if (input.correlationId === null) return Promise.resolve(null);
    return queue.push({ input: { ...input, correlationId: input.correlationId }, now, parkedUntil, lease, callbackId: newRowId(), deliveryId: newRowId() });
  };
}
