import { randomUUID } from 'node:crypto';
import type { RouteTarget } from '../relay-store.ts';
import { DeliveryKind, DeliveryStatus } from '../../delivery/delivery-status.ts';
import type { Db } from './store-context.ts';

interface RoutedCallback {
  id: string;
  app_id: string;
  content_type: string;
  body: string;
}

/**
 * Creates one due delivery per routing target of a push that belongs to no
 * trace. Runs inside the ingest transaction, so the push and its deliveries
 * are stored together before WeChat is told `success`.
 */
export async function startRouteDeliveries(db: Db, callback: RoutedCallback, targets: readonly RouteTarget[], now: number): Promise<void> {
  if (targets.length === 0) return;
  await db.insertInto('relay_deliveries').values(targets.map((target) => ({
    id: randomUUID(),
    trace_pk: null,
    kind: DeliveryKind.routed,
    destination: target.destination,
    callback_id: callback.id,
    content_type: callback.content_type,
    body: callback.body,
    is_late: 0,
    status: DeliveryStatus.pending,
    attempt_count: 0,
    next_attempt_at: now,
    lease_owner: null,
    created_at: now,
    updated_at: now,
    app_id: callback.app_id,
    route_name: target.route,
  }))).execute();
}
