import type { Backlog, TraceDetail } from '../relay-store.ts';
import { CallbackState } from '../../model/callback-state.ts';
import { DeliveryStatus } from '../../model/delivery-status.ts';
import { TraceStatus } from '../../model/trace-status.ts';
import { selectTrace } from './trace-lookup.ts';
import { num, toAttemptView, toCallbackView, toDeliveryView } from './row-mappers.ts';
import type { Db } from './store-context.ts';

/** Attempts shown per trace; a trace retried for a day has about a dozen. */
const MAX_ATTEMPTS_SHOWN = 500;

export async function readTrace(db: Db, appId: string, traceId: string): Promise<TraceDetail | undefined> {
  const trace = await selectTrace(db, appId, traceId);
  if (!trace) return undefined;
  const callbacks = await db.selectFrom('relay_callbacks').selectAll()
    .where('app_id', '=', appId).where('correlation_id', '=', traceId).orderBy('received_at').execute();
  const deliveries = await db.selectFrom('relay_deliveries').selectAll()
    .where('trace_pk', '=', trace.pk).orderBy('created_at').execute();
  const attempts = await db.selectFrom('relay_attempts as a')
    .innerJoin('relay_deliveries as d', 'd.id', 'a.delivery_id')
    .select(['a.delivery_id', 'a.attempt_no', 'a.started_at', 'a.duration_ms', 'a.http_status', 'a.outcome', 'a.error_message', 'a.response_excerpt', 'd.kind'])
    .where('a.trace_pk', '=', trace.pk)
    .orderBy('a.started_at').orderBy('a.attempt_no')
    .limit(MAX_ATTEMPTS_SHOWN)
    .execute();
  const callback = callbacks.find((row) => row.id === trace.callbackId);
  return {
    ...trace,
    callback: callback ? toCallbackView(callback) : null,
    conflicts: callbacks.filter((row) => row.state === CallbackState.conflict).map(toCallbackView),
    deliveries: deliveries.map(toDeliveryView),
    attempts: attempts.map(toAttemptView),
  };
}

export async function countBacklog(db: Db): Promise<Backlog> {
  const [traces, parked, deliveries] = await Promise.all([
    db.selectFrom('relay_traces').select((eb) => eb.fn.countAll().as('n')).where('status', '=', TraceStatus.pending).executeTakeFirstOrThrow(),
    db.selectFrom('relay_callbacks').select((eb) => eb.fn.countAll().as('n')).where('state', '=', CallbackState.parked).executeTakeFirstOrThrow(),
    db.selectFrom('relay_deliveries').select((eb) => eb.fn.countAll().as('n')).where('status', 'in', [DeliveryStatus.pending, DeliveryStatus.delivering]).executeTakeFirstOrThrow(),
  ]);
  return { pendingTraces: num(traces.n), parkedCallbacks: num(parked.n), openDeliveries: num(deliveries.n) };
}
