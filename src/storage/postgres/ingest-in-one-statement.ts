import type pg from 'pg';
import type { ClaimedDelivery, IncomingCallback, IngestLease, IngestResult } from '../relay-store.ts';
import { newRowId } from '../row-id.ts';
import { CallbackState } from '../../model/callback-state.ts';
import { DeliveryKind, DeliveryStatus } from '../../model/delivery-status.ts';
import { STATUSES_ACCEPTING_CALLBACK, TraceStatus } from '../../model/trace-status.ts';

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const ACCEPTING = STATUSES_ACCEPTING_CALLBACK.map(literal).join(', ');

/**
 * The two common pushes in one statement each: the first push for a trace that waits
 * for it (lock the trace, insert the callback, move the trace to delivering, insert
 * its delivery, leased to the ingesting worker unless it goes to a dev tunnel), and a
 * push for an id nobody has registered (insert it parked). One statement is one
 * round trip and its own transaction, against six (BEGIN, four statements, COMMIT):
 * on PostgreSQL the round trips, not the SQL, were most of a verdict's cost. Every
 * other case (a repeat, a trace that no longer waits) changes nothing here and takes
 * the general path.
 *   $1 app, $2 trace id, $3 callback id, $4 dedupe key, $5 event, $6 content type,
 *   $7 body, $8 fingerprint, $9 now, $10 delivery id, $11 lease owner, $12 lease ms,
 *   $13 parked until.
 */
const SQL = `with t as (
  select id, status, server_uri, deadline_at from relay_traces
  where app_id = $1 and trace_id = $2 and status in (${ACCEPTING})
  for update
), l as (
  select t.id, t.server_uri, t.deadline_at,
    (t.status = ${literal(TraceStatus.timedOut)} or $9::bigint > t.deadline_at) as late,
    ($11::text is not null and t.server_uri not like 'tunnel:%') as leased
  from t
), c as (
  insert into relay_callbacks (id, app_id, correlation_id, dedupe_key, event, content_type, body, fingerprint, state, duplicate_count, received_at, parked_until)
  select $3, $1, $2, $4, $5, $6, $7, $8, ${literal(CallbackState.matched)}, 0, $9::bigint, null::bigint from l
  union all
  select $3, $1, $2, $4, $5, $6, $7, $8, ${literal(CallbackState.parked)}, 0, $9::bigint, $13::bigint
  where not exists (select 1 from relay_traces where app_id = $1 and trace_id = $2)
  on conflict do nothing
  returning id, state
), u as (
  update relay_traces
  set status = ${literal(TraceStatus.delivering)}, callback_id = c.id, is_late = case when l.late then 1 else 0 end, error = null, updated_at = $9::bigint
  from c, l where relay_traces.id = l.id and c.state = ${literal(CallbackState.matched)}
  returning relay_traces.id
), d as (
  insert into relay_deliveries (id, trace_pk, kind, destination, callback_id, content_type, body, is_late, status, attempt_count, next_attempt_at, lease_owner, created_at, updated_at, source, requested_by, app_id, route_name)
  select $10, u.id, ${literal(DeliveryKind.callback)}, l.server_uri, $3, $6, null, case when l.late then 1 else 0 end,
    case when l.leased then ${literal(DeliveryStatus.delivering)} else ${literal(DeliveryStatus.pending)} end,
    case when l.leased then 1 else 0 end,
    case when l.leased then $9::bigint + $12::bigint else $9::bigint end,
    case when l.leased then $11::text else null end,
    $9::bigint, $9::bigint, null, null, null, null
  from u, l
  returning id
)
select (select state from c limit 1) as stored, l.id as trace_pk, l.server_uri, l.deadline_at, l.late, l.leased,
  (select count(*) from d)::int as started
from (select 1) as one left join l on true`;

interface Row {
  /** The state the callback was stored in; null when nothing was stored. */
  stored: string | null;
  trace_pk: string | null;
  server_uri: string;
  deadline_at: string | number;
  late: boolean;
  leased: boolean;
  started: number;
}

/**
 * Stores a push for a trace that accepts it, or for an id nobody registered, in one
 * statement; null when the push is anything else (a repeat, a trace that does not
 * accept it), having changed nothing: the caller then runs the general ingest. A
 * named statement, so each connection plans it once rather than on every push.
 */
export function ingestInOneStatementOn(pool: pg.Pool) {
  return async (input: IncomingCallback, now: number, parkedUntil: number, lease: IngestLease | undefined): Promise<IngestResult | null> => {
    if (input.correlationId === null) return null;
    const callbackId = newRowId();
    const deliveryId = newRowId();
    const { rows: [row] } = await pool.query<Row>({
      name: 'relay_ingest_in_one_statement',
      text: SQL,
      values: [
        input.appId, input.correlationId, callbackId, input.dedupeKey, input.event, input.contentType, input.body, input.fingerprint,
        now, deliveryId, lease?.owner ?? null, lease?.leaseMs ?? 0, parkedUntil,
      ],
    });
    if (row?.stored === CallbackState.parked) return { outcome: 'parked', claim: null };
    if (!row || row.stored !== CallbackState.matched || row.started !== 1 || row.trace_pk === null) return null;
    const outcome = row.late ? 'late' : 'forwarded';
    if (!row.leased || !lease) return { outcome, claim: null };
    const claim: ClaimedDelivery = {
      id: deliveryId, tracePk: row.trace_pk, appId: input.appId, traceId: input.correlationId, routeName: null, kind: DeliveryKind.callback,
      destination: row.server_uri, contentType: input.contentType, body: input.body, isLate: row.late,
      attempt: 1, leaseOwner: lease.owner, createdAt: now, deadlineAt: Number(row.deadline_at),
    };
    return { outcome, claim };
  };
}
