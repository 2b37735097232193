import { CallbackState } from '../relay-store.ts';
import { STATUSES_ACCEPTING_CALLBACK } from '../../registration/trace-status.ts';
import { toTraceRecord } from './row-mappers.ts';
import { startCallbackDelivery } from './start-delivery.ts';
import type { Db } from './store-context.ts';

/**
 * Matches parked callbacks to traces registered since. Registration adopts a
 * parked callback itself; this pass covers a push and its registration committed
 * at the same moment on two instances, where neither saw the other.
 */
export async function adoptParkedCallbacks(db: Db, now: number, limit: number): Promise<number> {
  const rows = await db.selectFrom('relay_callbacks as c')
    .innerJoin('relay_traces as t', (join) => join.onRef('t.app_id', '=', 'c.app_id').onRef('t.trace_id', '=', 'c.correlation_id'))
    .selectAll('t')
    .select(['c.id as callback_id_', 'c.content_type as callback_content_type', 'c.body as callback_body'])
    .where('c.state', '=', CallbackState.parked)
    .where('t.status', 'in', [...STATUSES_ACCEPTING_CALLBACK])
    .limit(limit)
    .execute();
  let adopted = 0;
  for (const row of rows) {
    const callback = { id: row.callback_id_, content_type: row.callback_content_type, body: row.callback_body };
    const { started } = await startCallbackDelivery(db, toTraceRecord(row), callback, now);
    if (started) adopted += 1;
  }
  return adopted;
}

/** Parked callbacks past their grace window stay stored, marked expired. */
export async function expireParked(db: Db, now: number, limit: number): Promise<number> {
  const ids = await db.selectFrom('relay_callbacks').select('id')
    .where('state', '=', CallbackState.parked)
    .where('parked_until', '<', now)
    .limit(limit)
    .execute();
  if (ids.length === 0) return 0;
  await db.updateTable('relay_callbacks')
    .set({ state: CallbackState.expired })
    .where('id', 'in', ids.map((row) => row.id))
    .where('state', '=', CallbackState.parked)
    .execute();
  return ids.length;
}
