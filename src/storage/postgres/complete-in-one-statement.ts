import type pg from 'pg';
import type { AttemptCompletion } from '../relay-store.ts';
import { newRowId } from '../row-id.ts';
import { MAX_ERROR_CHARS } from '../kysely/complete-attempt.ts';
import { DeliveryKind, DeliveryStatus } from '../../model/delivery-status.ts';
import { TraceStatus } from '../../model/trace-status.ts';

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * A batch of delivered attempts in one statement: the batch arrives as arrays
 * (unnest), the deliveries whose claim still holds the lease are locked in id
 * order, every attempt is inserted (it happened), those deliveries become
 * delivered, and then their traces are locked in id order and become delivered
 * too (traces last, as every transaction that takes both locks them). One round
 * trip and its own transaction, against six (BEGIN, four statements, COMMIT).
 *   $1 … $12 the attempts' columns as arrays, $13 now.
 */
const SQL = `with i as (
  select * from unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::int[], $8::int[], $9::text[], $10::text[], $11::text[], $12::boolean[])
    as i(delivery_id, trace_pk, attempt_no, lease_owner, attempt_id, started_at, duration_ms, http_status, outcome, error_message, response_excerpt, decides_trace)
), held as (
  select d.id from relay_deliveries d join i on i.delivery_id = d.id
  where d.status = ${literal(DeliveryStatus.delivering)} and d.lease_owner = i.lease_owner and d.attempt_count = i.attempt_no
  order by d.id
  for update of d
), recorded as (
  insert into relay_attempts (id, delivery_id, trace_pk, attempt_no, started_at, duration_ms, http_status, outcome, error_message, response_excerpt)
  select attempt_id, delivery_id, trace_pk, attempt_no, started_at, duration_ms, http_status, outcome, error_message, response_excerpt from i
), done as (
  update relay_deliveries d set status = ${literal(DeliveryStatus.delivered)}, next_attempt_at = $13::bigint, lease_owner = null, updated_at = $13::bigint
  from held where d.id = held.id
  returning d.id
), deciding as (
  select t.id from relay_traces t
  where t.id in (select i.trace_pk from i join done on done.id = i.delivery_id where i.decides_trace)
    and t.status = ${literal(TraceStatus.delivering)}
  order by t.id
  for update of t
), finished as (
  update relay_traces t set status = ${literal(TraceStatus.delivered)}, error = null, updated_at = $13::bigint
  from deciding where t.id = deciding.id
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
    const column = <T>(pick: (completion: AttemptCompletion) => T): T[] => completions.map(pick);
    const { rows } = await pool.query<{ id: string }>({
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
    });
    const applied = new Set(rows.map((row) => row.id));
    return completions.map(({ claim }) => applied.has(claim.id));
  };
}
