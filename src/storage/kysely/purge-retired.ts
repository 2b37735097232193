import type { DialectTraits } from '../dialect-traits.ts';
import { type PurgeCounts } from '../relay-store.ts';
import { CallbackState } from '../../model/callback-state.ts';
import { DeliveryStatus } from '../../model/delivery-status.ts';
import { TraceStatus } from '../../model/trace-status.ts';
import type { Db } from './store-context.ts';
import { num } from './row-mappers.ts';

/** Finished for good: nothing more will be sent for these. */
const RETIRED = [TraceStatus.delivered, TraceStatus.timedOut];
const OPEN = [DeliveryStatus.pending, DeliveryStatus.delivering];
/** Callbacks that never reached a trace. */
const STRAY = [CallbackState.expired, CallbackState.unrouted];

/**
 * Deletes one small batch of retired traces (delivered or timed out, last changed
 * before `cutoff`, no delivery still open) with their callbacks, deliveries and
 * attempts, then one batch of stray callbacks. Each batch is one short
 * transaction, so ingest never waits long behind it.
 */
export async function purgeRetired(db: Db, traits: DialectTraits, cutoff: number, limit: number): Promise<PurgeCounts> {
  // Rows that lock nothing a worker claims go first: the traces' row locks, taken last, are
  // then held only for the few statements that delete them.
  const routed = await purgeRoutedEvents(db, cutoff, limit);
  const strays = await purgeStrays(db, cutoff, limit);
  // One index range per status, each cut at the limit: with IN (…) a database may read every
  // retired trace and sort them (MariaDB did), a cost that grows with the data kept.
  const found = [];
  for (const status of RETIRED) found.push(...await selectRetiredTraces(db, traits, status, cutoff, limit).execute());
  const locked = found.sort((a, b) => num(a.updated_at) - num(b.updated_at)).slice(0, limit);
  // A timed-out trace whose notice is still being retried is not finished yet.
  const open = locked.length === 0 ? [] : await db.selectFrom('relay_deliveries').select('trace_pk')
    .where('trace_pk', 'in', locked.map((row) => row.id))
    .where('status', 'in', OPEN)
    .execute();
  const stillOpen = new Set(open.map((row) => row.trace_pk));
  const traces = locked.filter((row) => !stillOpen.has(row.id));
  if (traces.length > 0) {
    const ids = traces.map((row) => row.id);
    await db.deleteFrom('relay_attempts').where('trace_pk', 'in', ids).execute();
    await db.deleteFrom('relay_deliveries').where('trace_pk', 'in', ids).execute();
    await db.deleteFrom('relay_callbacks')
      .where((eb) => eb.or(traces.map((row) => eb.and([eb('app_id', '=', row.app_id), eb('correlation_id', '=', row.trace_id)]))))
      .execute();
    await db.deleteFrom('relay_traces').where('id', 'in', ids).where('status', 'in', RETIRED).execute();
  }
  return { traces: traces.length, strayCallbacks: strays, routedEvents: routed };
}

/**
 * Traces of one retired status last changed before `cutoff`, oldest first: a range of
 * the (status, updated_at) index. Locks the traces only (a subquery here would lock
 * delivery rows too, on MySQL, and make claims skip them): a late push for one of
 * them waits, then finds it gone. Rows another instance is purging are skipped, not
 * waited for.
 */
export function selectRetiredTraces(db: Db, traits: DialectTraits, status: TraceStatus, cutoff: number, limit: number) {
  const candidates = db.selectFrom('relay_traces')
    .select(['id', 'app_id', 'trace_id', 'updated_at'])
    .where('status', '=', status)
    .where('updated_at', '<', cutoff)
    .orderBy('updated_at')
    .limit(limit);
  return traits.supportsSkipLocked ? candidates.forUpdate().skipLocked() : candidates;
}

/** Callbacks that never reached a trace, past the retention period. */
async function purgeStrays(db: Db, cutoff: number, limit: number): Promise<number> {
  const strays = await db.selectFrom('relay_callbacks').select('id')
    .where('state', 'in', STRAY)
    .where('received_at', '<', cutoff)
    .limit(limit)
    .execute();
  if (strays.length > 0) {
    await db.deleteFrom('relay_callbacks').where('id', 'in', strays.map((row) => row.id)).where('state', 'in', STRAY).execute();
  }
  return strays.length;
}

/**
 * Events sent by routing rules belong to no trace: they go with their deliveries
 * and attempts once every delivery has finished. Read by (state, received_at); the
 * deliveries by their callback.
 */
async function purgeRoutedEvents(db: Db, cutoff: number, limit: number): Promise<number> {
  const candidates = await db.selectFrom('relay_callbacks').select('id')
    .where('state', '=', CallbackState.routed)
    .where('received_at', '<', cutoff)
    .orderBy('received_at')
    .limit(limit)
    .execute();
  if (candidates.length === 0) return 0;
  const open = await db.selectFrom('relay_deliveries').select('callback_id')
    .where('callback_id', 'in', candidates.map((row) => row.id))
    .where('status', 'in', OPEN)
    .execute();
  const stillOpen = new Set(open.map((row) => row.callback_id));
  const ids = candidates.map((row) => row.id).filter((id) => !stillOpen.has(id));
  if (ids.length === 0) return 0;
  const deliveries = await db.selectFrom('relay_deliveries').select('id').where('callback_id', 'in', ids).where('trace_pk', 'is', null).execute();
  if (deliveries.length > 0) {
    const deliveryIds = deliveries.map((row) => row.id);
    await db.deleteFrom('relay_attempts').where('delivery_id', 'in', deliveryIds).execute();
    await db.deleteFrom('relay_deliveries').where('id', 'in', deliveryIds).execute();
  }
  await db.deleteFrom('relay_callbacks').where('id', 'in', ids).where('state', '=', CallbackState.routed).execute();
  return ids.length;
}
