import type { DialectTraits } from '../dialect-traits.ts';
import { buildTimeoutNotice } from '../../model/timeout-notice.ts';
import { DeliveryKind } from '../../model/delivery-status.ts';
import { insertDelivery } from './new-delivery.ts';
import { TraceError, TraceStatus } from '../../model/trace-status.ts';
import { toTraceRecord } from './row-mappers.ts';
import { changedRows, type Db } from './store-context.ts';

/**
 * Times out one batch of overdue traces. The read is an index range on
 * (status, deadline_at), so its cost follows the number expired, not pending.
 */
export async function expireOverdue(db: Db, traits: DialectTraits, now: number, limit: number): Promise<number> {
  let overdue = db.selectFrom('relay_traces').selectAll()
    .where('status', '=', TraceStatus.pending)
    .where('deadline_at', '<=', now)
    .orderBy('deadline_at')
    .limit(limit);
  if (traits.supportsSkipLocked) overdue = overdue.forUpdate().skipLocked();
  let expired = 0;
  for (const row of await overdue.execute()) {
    const moved = await db.updateTable('relay_traces')
      .set({ status: TraceStatus.timedOut, error: TraceError.wxTimeout, updated_at: now })
      .where('id', '=', row.id)
      .where('status', '=', TraceStatus.pending)
      .executeTakeFirst();
    if (changedRows(moved) === 0) continue;
    const trace = toTraceRecord(row);
    const message = buildTimeoutNotice(trace, now);
    await insertDelivery(db, { tracePk: trace.pk, kind: DeliveryKind.timeout, destination: trace.serverUri, callbackId: null, ...message, isLate: false }, now);
    expired += 1;
  }
  return expired;
}
