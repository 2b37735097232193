import type { RouteTarget } from '../../model/route-target.ts';
import { DeliveryKind } from '../../model/delivery-status.ts';
import { insertDeliveries } from './new-delivery.ts';
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
  await insertDeliveries(db, targets.map((target) => ({
    tracePk: null,
    kind: DeliveryKind.routed,
    destination: target.destination,
    callbackId: callback.id,
    contentType: callback.content_type,
    body: null,
    isLate: false,
    appId: callback.app_id,
    routeName: target.route,
  })), now);
}
