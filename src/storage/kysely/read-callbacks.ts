import type { Selectable } from 'kysely';
import type { CallbacksTable } from '../database-schema.ts';
import type { CallbackDetail, CallbackFilter, CallbackSummary } from '../relay-store.ts';
import { toAttemptView, toCallbackView, toDeliveryView } from './row-mappers.ts';
import type { Db } from './store-context.ts';

const MAX_ATTEMPTS_SHOWN = 500;

function toSummary(row: Selectable<CallbacksTable>): CallbackSummary {
  return { ...toCallbackView(row), appId: row.app_id, correlationId: row.correlation_id };
}

/** Recent pushes, newest first, narrowed by app and state. */
export async function listCallbacks(db: Db, filter: CallbackFilter): Promise<CallbackSummary[]> {
  let query = db.selectFrom('relay_callbacks').selectAll().orderBy('received_at', 'desc').orderBy('id').limit(filter.limit);
  if (filter.appId !== undefined) query = query.where('app_id', '=', filter.appId);
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  return (await query.execute()).map(toSummary);
}

/** One push with the deliveries made from it (routed events) and their attempts. */
export async function readCallback(db: Db, id: string): Promise<CallbackDetail | undefined> {
  const row = await db.selectFrom('relay_callbacks').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const deliveries = await db.selectFrom('relay_deliveries').selectAll().where('callback_id', '=', id).orderBy('created_at').execute();
  const attempts = deliveries.length === 0 ? [] : await db.selectFrom('relay_attempts as a')
    .innerJoin('relay_deliveries as d', 'd.id', 'a.delivery_id')
    .select(['a.delivery_id', 'a.attempt_no', 'a.started_at', 'a.duration_ms', 'a.http_status', 'a.outcome', 'a.error_message', 'a.response_excerpt', 'd.kind'])
    .where('a.delivery_id', 'in', deliveries.map((delivery) => delivery.id))
    .orderBy('a.started_at').orderBy('a.attempt_no')
    .limit(MAX_ATTEMPTS_SHOWN)
    .execute();
  return {
    ...toSummary(row),
    deliveries: deliveries.map(toDeliveryView),
    attempts: attempts.map(toAttemptView),
  };
}
