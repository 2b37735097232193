import type { DialectTraits } from '../dialect-traits.ts';
import { buildTimeoutNotice } from '../../model/timeout-notice.ts';
import { DeliveryKind } from '../../model/delivery-status.ts';
import { insertDeliveries } from './new-delivery.ts';
import { TraceError, TraceStatus } from '../../model/trace-status.ts';
import { toTraceRecord } from './row-mappers.ts';
import { changedRows, type Db } from './store-context.ts';

/**
 * Times out one batch of overdue traces in three statements whatever its size: the
 * read, one update of them all, one multi-row insert of their notices. The read is
 * an index range on (status, deadline_at), so its cost follows the number expired,
 * not pending. On a server database the rows read are locked (another sweeper skips
 * them); on SQLite nothing writes between the read and the update: every row read
 * is still pending when it is moved.
 */
export async function expireOverdue(db: Db, traits: DialectTraits, now: number, limit: number): Promise<number> {
  const rows = await selectOverdue(db, traits, now, limit).execute();
  if (rows.length === 0) return 0;
  const moved = await db.updateTable('relay_traces')
    .set({ status: TraceStatus.timedOut, error: TraceError.wxTimeout, updated_at: now })
    .where('id', 'in', rows.map((row) => row.id))
    .where('status', '=', TraceStatus.pending)
    .executeTakeFirst();
  if (changedRows(moved) !== rows.length) throw new Error(`expected to time out ${rows.length} traces, moved ${changedRows(moved)}: the rows read were not held`);
  await insertDeliveries(db, rows.map((row) => {
    const trace = toTraceRecord(row);
    return { tracePk: trace.pk, kind: DeliveryKind.timeout, destination: trace.serverUri, callbackId: null, ...buildTimeoutNotice(trace, now), isLate: false };
  }), now);
  return rows.length;
}

/** Pending traces past their deadline, oldest deadline first (locked, skipping locked ones, on a server). */
export function selectOverdue(db: Db, traits: DialectTraits, now: number, limit: number) {
  const overdue = db.selectFrom('relay_traces').selectAll()
    .where('status', '=', TraceStatus.pending)
    .where('deadline_at', '<=', now)
    .orderBy('deadline_at')
    .limit(limit);
  return traits.supportsSkipLocked ? overdue.forUpdate().skipLocked() : overdue;
}
