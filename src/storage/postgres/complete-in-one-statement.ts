import type pg from 'pg';
import type { AttemptCompletion } from '../relay-store.ts';
import { newRowId } from '../row-id.ts';
import { MAX_ERROR_CHARS } from '../kysely/complete-attempt.ts';
import { DeliveryKind, DeliveryStatus } from '../../model/delivery-status.ts';
import { TRACE_STATUSES_NO_DELIVERY_FINISHES, TraceStatus } from '../../model/trace-status.ts';

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** The statuses a callback's delivery never finishes a trace from (see completeAttempts' finishTraces). */
const NOT_FINISHING = TRACE_STATUSES_NO_DELIVERY_FINISHES.map(literal).join(', ');

/**
 * A batch of delivered attempts in one statement: the batch arrives as arrays
 * (unnest), the deliveries whose claim still holds the lease are locked, every
 * attempt is inserted (it happened), those deliveries become delivered, and then
 * their traces are locked and become delivered too (traces last, as every
 * transaction that takes both locks them). One round trip and its own
 * transaction, against six (BEGIN, four statements, COMMIT).
 *
 * Each delivery and each trace is locked by its primary key alone, through a
 * lateral look-up, and its state is checked after the lock: joined as sets, or
 * with the state inside the look-up, the planner walked every row in
 * 'delivering' of a status index for each row of the batch (half a second a
 * batch with 8 k traces in flight). Locking a row that then fails the check
 * (another claim took the delivery over, the trace was decided) changes nothing.
 * Rows are locked in id order: the batch comes sorted by delivery id, and the
 * traces are taken in id order.
 *   $1 … $12 the attempts' columns as arrays, $13 now.
 */
const SQL = `with i as (
  select * from unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::int[], $8::int[], $9::text[], $10::text[], $11::text[], $12::boolean[])
    with ordinality as i(delivery_id, trace_pk, attempt_no, lease_owner, attempt_id, started_at, duration_ms, http_status, outcome, error_message, response_excerpt, decides_trace, n)
), held as (
  select d.id from (select * from i order by n) i
  cross join lateral (select d.id, d.status, d.lease_owner, d.attempt_count from relay_deliveries d where d.id = i.delivery_id for update of d) d
  where d.status = ${literal(DeliveryStatus.delivering)} and d.lease_owner = i.lease_owner and d.attempt_count = i.attempt_no
), recorded as (
  insert into relay_attempts (id, delivery_id, trace_pk, attempt_no, started_at, duration_ms, http_status, outcome, error_message, response_excerpt)
  select attempt_id, delivery_id, trace_pk, attempt_no, started_at, duration_ms, http_status, outcome, error_message, response_excerpt from i
), done as (
  update relay_deliveries d set status = ${literal(DeliveryStatus.delivered)}, next_attempt_at = $13::bigint, lease_owner = null, updated_at = $13::bigint
  from held where d.id = held.id
  returning d.id
), deciding as (
  select t.id, t.status from (
    select distinct i.trace_pk from i join done on done.id = i.delivery_id where i.decides_trace order by i.trace_pk
  ) x
  cross join lateral (select t.id, t.status from relay_traces t where t.id = x.trace_pk for update of t) t
), finished as (
  update relay_traces t set status = ${literal(TraceStatus.delivered)}, error = null, updated_at = $13::bigint
  from deciding where t.id = deciding.id and deciding.status not in (${NOT_FINISHING})
)
select id from done`;

/**
 * Records a batch in one statement when every attempt in it delivered and no
 * delivery appears twice: the batch of a relay that is keeping up. Returns, per
 * completion in order, whether its verdict was applied (its claim still held the
 * lease); null for any other batch, having changed nothing: the caller then runs
 * the general transaction. A named statement, planned once per connection.
 */
export function completeInOneStatementOn(pool: pg.Pool) {
  return async (completions: readonly AttemptCompletion[], now: number): Promise<boolean[] | null> => {
    if (completions.length === 0) return [];
    if (completions.some(({ verdict }) => verdict.kind !== 'delivered')) return null;
    if (new Set(completions.map(({ claim }) => claim.id)).size !== completions.length) return null;
    const { rows } = await pool.query<{ id: string }>(completeBatchQuery(completions, now));
    const applied = new Set(rows.map((row) => row.id));
    return completions.map(({ claim }) => applied.has(claim.id));
  };
}

/** The statement and its values for a batch of delivered attempts (exported for the query-plan test). */
export function completeBatchQuery(completions: readonly AttemptCompletion[], now: number): pg.QueryConfig {
  // Sorted by delivery id: every batch locks its deliveries in the same order.
  const sorted = [...completions].sort((a, b) => (a.claim.id < b.claim.id ? -1 : a.claim.id > b.claim.id ? 1 : 0));
  const column = <T>(pick: (completion: AttemptCompletion) => T): T[] => sorted.map(pick);
  return {
    name: 'relay_complete_in_one_statement',
    text: SQL,
    values: [
      column(({ claim }) => claim.id),
      column(({ claim }) => claim.tracePk),
      column(({ claim }) => claim.attempt),
      column(({ claim }) => claim.leaseOwner),
      column(() => newRowId()),
      column(({ record }) => record.startedAt),
      column(({ record }) => Math.round(record.durationMs)),
      column(({ record }) => record.httpStatus),
      column(({ record }) => record.outcome),
      column(({ record }) => record.errorMessage?.slice(0, MAX_ERROR_CHARS) ?? null),
      column(({ record }) => record.responseExcerpt),
      // Only the callback's delivery decides its trace; a timeout notice leaves it timed_out.
      column(({ claim }) => claim.kind === DeliveryKind.callback && claim.tracePk !== null),
      now,
    ],
  };
}
