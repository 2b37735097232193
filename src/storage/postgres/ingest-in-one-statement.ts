import type pg from 'pg';
import type { IngestResult } from '../relay-store.ts';
import { batchedIngest, startedResult, type Push } from '../push-batch.ts';
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

/** What a push's row in the batch's answer means: its result, or null for the general path. */
function resultOf(push: Push, row: Row | undefined): IngestResult | null {
  if (row?.stored === CallbackState.parked) return { outcome: 'parked', claim: null };
  if (!row || row.stored !== CallbackState.matched || !row.started || row.trace_pk === null) return null;
  return startedResult(push, { tracePk: row.trace_pk, serverUri: row.server_uri, deadlineAt: Number(row.deadline_at), isLate: row.late, isLeased: row.leased });
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

/**
 * Stores a push for a trace that accepts it, or for an id nobody registered, with the
 * pushes that arrive with it in one statement (see batchedIngest); null when the push
 * is anything else, having changed nothing. A named statement, so each connection
 * plans it once rather than on every batch.
 */
export function ingestInOneStatementOn(pool: pg.Pool, maxBatch = 256) {
  return batchedIngest(async (batch) => {
    const { rows } = await pool.query<Row>(ingestBatchQuery(batch));
    return batch.map((push, index) => resultOf(push, rows[index]));
  }, maxBatch);
}
