import { sql, type Selectable } from 'kysely';
import type { CallbacksTable } from '../database-schema.ts';
import { type ClaimedDelivery, type IngestLease, type TraceRecord } from '../relay-store.ts';
import { CallbackState } from '../../model/callback-state.ts';
import { DeliveryKind } from '../../model/delivery-status.ts';
import { insertDelivery } from './new-delivery.ts';
import { STATUSES_ACCEPTING_CALLBACK, TraceStatus } from '../../model/trace-status.ts';
import { changedRows, type Db } from './store-context.ts';
import { affectedRows, QueryTemplate } from './query-template.ts';
import { isTunnelDestination } from './claim-scope.ts';

/** trace → delivering, only from a status that accepts a callback: every verdict does it, compiled once. */
const TRACE_TO_DELIVERING = new QueryTemplate<'pk' | 'callbackId' | 'isLate' | 'now'>((db, slot) => db.updateTable('relay_traces')
  .set({ status: TraceStatus.delivering, callback_id: slot('callbackId'), is_late: slot('isLate'), error: null, updated_at: slot('now') })
  .where('id', '=', slot('pk'))
  .where('status', 'in', [...STATUSES_ACCEPTING_CALLBACK]));

type CallbackRow = Pick<Selectable<CallbacksTable>, 'id' | 'content_type' | 'body'> & { state?: string };

/**
 * Hands a stored callback to its trace: trace → delivering, callback → matched,
 * and a due delivery to the trace's server. Runs inside the caller's transaction;
 * returns false (changing nothing) when the trace no longer accepts a callback.
 */
export async function startCallbackDelivery(db: Db, trace: TraceRecord, callback: CallbackRow, now: number, lease?: IngestLease): Promise<StartedDelivery> {
  const isLate = trace.status === TraceStatus.timedOut || now > trace.deadlineAt;
  const moved = await TRACE_TO_DELIVERING.execute(db, { pk: trace.pk, callbackId: callback.id, isLate: isLate ? 1 : 0, now });
  if (affectedRows(moved) === 0) return { started: false, isLate, claim: null };
  // A push stored just now is inserted as matched already; a parked one changes state here.
  if (callback.state !== CallbackState.matched) {
    await db.updateTable('relay_callbacks')
      .set({ state: CallbackState.matched, parked_until: null })
      .where('id', '=', callback.id)
      .execute();
  }
  return { started: true, isLate, claim: await deliverCallback(db, trace, callback, isLate, now, lease) };
}

/**
 * A further push for a trace that has had its push already: a provider that pushes
 * each change of one item under its id (a WeCom approval's status, keyed by SpNo)
 * sends several, each a push of its own (its own message id or body), each
 * forwarded. The trace delivers again, now with this push; its status follows the
 * delivery that finishes last. A repeat of a push never gets here: it collides on
 * its dedupe key first.
 */
export async function startFollowUpDelivery(db: Db, trace: TraceRecord, callback: CallbackRow, now: number, lease?: IngestLease): Promise<StartedDelivery> {
  const isLate = now > trace.deadlineAt;
  if (callback.state !== CallbackState.matched) {
    // The trace's row first, as every transaction that writes both takes them (a write that changes nothing locks it on a server database).
    await db.updateTable('relay_traces').set({ updated_at: sql`updated_at` }).where('id', '=', trace.pk).execute();
    // A parked push another instance has adopted since it was read is theirs to send.
    const adopted = await db.updateTable('relay_callbacks').set({ state: CallbackState.matched, parked_until: null })
      .where('id', '=', callback.id).where('state', '=', CallbackState.parked).executeTakeFirst();
    if (changedRows(adopted) === 0) return { started: false, isLate, claim: null };
  }
  await db.updateTable('relay_traces')
    .set({ status: TraceStatus.delivering, callback_id: callback.id, error: null, updated_at: now })
    .where('id', '=', trace.pk)
    .execute();
  return { started: true, isLate, claim: await deliverCallback(db, trace, callback, isLate, now, lease) };
}

/** Inserts the callback's delivery to the trace's server; the claim when it is leased to the caller's worker. */
async function deliverCallback(db: Db, trace: TraceRecord, callback: CallbackRow, isLate: boolean, now: number, lease?: IngestLease): Promise<ClaimedDelivery | null> {
  // A dev tunnel's listener may be connected to another instance: its deliveries wait for a claim.
  const leaseHere = lease && !isTunnelDestination(trace.serverUri) ? lease : undefined;
  const id = await insertDelivery(db, {
    tracePk: trace.pk,
    kind: DeliveryKind.callback,
    destination: trace.serverUri,
    callbackId: callback.id,
    contentType: callback.content_type,
    body: null,
    isLate,
    lease: leaseHere,
  }, now);
  if (!leaseHere) return null;
  return {
    id, tracePk: trace.pk, appId: trace.appId, traceId: trace.traceId, routeName: null, kind: DeliveryKind.callback,
    destination: trace.serverUri, contentType: callback.content_type, body: callback.body, isLate,
    attempt: 1, leaseOwner: leaseHere.owner, createdAt: now, deadlineAt: trace.deadlineAt,
  };
}

export interface StartedDelivery {
  started: boolean;
  isLate: boolean;
  /** The new delivery, when it was leased to the caller's worker. */
  claim: ClaimedDelivery | null;
}
