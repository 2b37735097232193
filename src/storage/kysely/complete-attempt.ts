import { newRowId } from '../row-id.ts';
import type { AttemptRecord, AttemptVerdict, ClaimedDelivery } from '../relay-store.ts';
import { DeliveryKind, DeliveryStatus } from '../../model/delivery-status.ts';
import { TraceStatus } from '../../model/trace-status.ts';
import { changedRows, type Db } from './store-context.ts';

const MAX_ERROR_CHARS = 500;

/**
 * Records the attempt (always: it happened) and applies the verdict only while the
 * claim still holds the lease, so a worker whose lease ran out cannot overwrite
 * the work of the instance that took over.
 */
export async function completeAttempt(db: Db, claim: ClaimedDelivery, record: AttemptRecord, verdict: AttemptVerdict, now: number): Promise<boolean> {
  await db.insertInto('relay_attempts').values({
    id: newRowId(),
    delivery_id: claim.id,
    trace_pk: claim.tracePk,
    attempt_no: claim.attempt,
    started_at: record.startedAt,
    duration_ms: Math.round(record.durationMs),
    http_status: record.httpStatus,
    outcome: record.outcome,
    error_message: record.errorMessage?.slice(0, MAX_ERROR_CHARS) ?? null,
    response_excerpt: record.responseExcerpt,
  }).execute();
  const status = verdict.kind === 'retry' ? DeliveryStatus.pending : verdict.kind === 'delivered' ? DeliveryStatus.delivered : DeliveryStatus.failed;
  const applied = await db.updateTable('relay_deliveries')
    .set({ status, next_attempt_at: verdict.kind === 'retry' ? verdict.nextAttemptAt : now, lease_owner: null, updated_at: now })
    .where('id', '=', claim.id)
    .where('status', '=', DeliveryStatus.delivering)
    .where('lease_owner', '=', claim.leaseOwner)
    .where('attempt_count', '=', claim.attempt)
    .executeTakeFirst();
  if (changedRows(applied) === 0) return false;
  // Only the callback's delivery decides the trace's status; a timeout notice leaves it timed_out.
  if (claim.kind !== DeliveryKind.callback || verdict.kind === 'retry' || claim.tracePk === null) return true;
  await db.updateTable('relay_traces')
    .set(verdict.kind === 'delivered'
      ? { status: TraceStatus.delivered, error: null, updated_at: now }
      : { status: TraceStatus.failed, error: verdict.traceError, updated_at: now })
    .where('id', '=', claim.tracePk)
    .where('status', '=', TraceStatus.delivering)
    .execute();
  return true;
}
