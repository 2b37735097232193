import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { CallbacksTable } from '../database-schema.ts';
import { CallbackState, type TraceRecord } from '../relay-store.ts';
import { DeliveryKind, DeliveryStatus } from '../../delivery/delivery-status.ts';
import { STATUSES_ACCEPTING_CALLBACK, TraceStatus } from '../../registration/trace-status.ts';
import { changedRows, type Db } from './store-context.ts';

type CallbackRow = Pick<Selectable<CallbacksTable>, 'id' | 'content_type' | 'body'> & { state?: string };

/**
 * Hands a stored callback to its trace: trace → delivering, callback → matched,
 * and a due delivery to the trace's server. Runs inside the caller's transaction;
 * returns false (changing nothing) when the trace no longer accepts a callback.
 */
export async function startCallbackDelivery(db: Db, trace: TraceRecord, callback: CallbackRow, now: number): Promise<{ started: boolean; isLate: boolean }> {
  const isLate = trace.status === TraceStatus.timedOut || now > trace.deadlineAt;
  const moved = await db.updateTable('relay_traces')
    .set({ status: TraceStatus.delivering, callback_id: callback.id, is_late: isLate ? 1 : 0, error: null, updated_at: now })
    .where('id', '=', trace.pk)
    .where('status', 'in', [...STATUSES_ACCEPTING_CALLBACK])
    .executeTakeFirst();
  if (changedRows(moved) === 0) return { started: false, isLate };
  // A push stored just now is inserted as matched already; a parked one changes state here.
  if (callback.state !== CallbackState.matched) {
    await db.updateTable('relay_callbacks')
      .set({ state: CallbackState.matched, parked_until: null })
      .where('id', '=', callback.id)
      .execute();
  }
  await db.insertInto('relay_deliveries').values({
    id: randomUUID(),
    trace_pk: trace.pk,
    kind: DeliveryKind.callback,
    destination: trace.serverUri,
    callback_id: callback.id,
    content_type: callback.content_type,
    body: callback.body,
    is_late: isLate ? 1 : 0,
    status: DeliveryStatus.pending,
    attempt_count: 0,
    next_attempt_at: now,
    lease_owner: null,
    created_at: now,
    updated_at: now,
  }).execute();
  return { started: true, isLate };
}
