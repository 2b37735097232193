import { newRowId } from '../row-id.ts';
import type { ReplayOutcome, TraceRecord } from '../relay-store.ts';
import { buildTimeoutNotice } from '../../model/timeout-notice.ts';
import { DeliveryKind } from '../../model/delivery-status.ts';
import { insertDelivery } from './new-delivery.ts';
import { canTransition, TraceStatus } from '../../model/trace-status.ts';
import { recordAudit } from './audit-log.ts';
import { selectTrace } from './trace-lookup.ts';
import { changedRows, type Db } from './store-context.ts';

export interface RequestedDelivery {
  kind: DeliveryKind;
  contentType: string;
  /** Null: the body of the push `callbackId` names. */
  body: string | null;
  callbackId: string | null;
  source: 'replay' | 'redrive';
  requestedBy: string;
}

/** Inserts a delivery an operator asked for, due at once. */
export function insertRequestedDelivery(db: Db, trace: Pick<TraceRecord, 'pk' | 'serverUri' | 'isLate'>, request: RequestedDelivery, now: number): Promise<string> {
  return insertDelivery(db, {
    tracePk: trace.pk,
    kind: request.kind,
    destination: trace.serverUri,
    callbackId: request.callbackId,
    contentType: request.contentType,
    body: request.body,
    isLate: request.kind === DeliveryKind.callback && trace.isLate,
    source: request.source,
    requestedBy: request.requestedBy,
  }, now);
}

/**
 * Moves a finished trace back to `delivering` (a conditional write on the status
 * read) and queues its stored callback again. False when another writer moved it first.
 */
export async function requeueCallback(db: Db, trace: TraceRecord, source: RequestedDelivery['source'], actor: string, now: number): Promise<string | undefined> {
  if (!trace.callbackId || !canTransition(trace.status, TraceStatus.delivering)) return undefined;
  const callback = await db.selectFrom('relay_callbacks').select(['content_type']).where('id', '=', trace.callbackId).executeTakeFirst();
  if (!callback) return undefined;
  const moved = await db.updateTable('relay_traces')
    .set({ status: TraceStatus.delivering, error: null, updated_at: now })
    .where('id', '=', trace.pk)
    .where('status', '=', trace.status)
    .executeTakeFirst();
  if (changedRows(moved) === 0) return undefined;
  return insertRequestedDelivery(db, trace, {
    kind: DeliveryKind.callback, contentType: callback.content_type, body: null,
    callbackId: trace.callbackId, source, requestedBy: actor,
  }, now);
}

/**
 * Replays a trace: its verdict when one arrived, else the timeout notice it was
 * sent (rebuilt if none was stored). Audited in the same transaction.
 */
export async function replayTrace(db: Db, appId: string, traceId: string, actor: string, now: number): Promise<ReplayOutcome> {
  const trace = await selectTrace(db, appId, traceId);
  if (!trace) return { kind: 'not_found' };
  let deliveryId: string | undefined;
  let deliveryKind: DeliveryKind;
  if (trace.callbackId) {
    if (trace.status === TraceStatus.delivering) return { kind: 'busy', trace };
    deliveryKind = DeliveryKind.callback;
    deliveryId = await requeueCallback(db, trace, 'replay', actor, now);
    if (!deliveryId) return { kind: 'busy', trace };
  } else if (trace.status === TraceStatus.timedOut) {
    deliveryKind = DeliveryKind.timeout;
    const sent = await db.selectFrom('relay_deliveries').select(['content_type', 'body'])
      .where('trace_pk', '=', trace.pk).where('kind', '=', DeliveryKind.timeout)
      .orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    const message = sent?.body ? { contentType: sent.content_type, body: sent.body } : buildTimeoutNotice(trace, now);
    deliveryId = await insertRequestedDelivery(db, trace, {
      kind: DeliveryKind.timeout, contentType: message.contentType, body: message.body,
      callbackId: null, source: 'replay', requestedBy: actor,
    }, now);
  } else {
    return { kind: 'nothing_to_replay', trace };
  }
  await recordAudit(db, { id: newRowId(), at: now, actor, action: 'replay', appId, traceId, deliveryId, detail: { kind: deliveryKind } });
  return { kind: 'queued', deliveryId, deliveryKind, trace };
}
