import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { DeliveriesTable } from '../database-schema.ts';
import { DeliveryStatus, type DeliveryKind } from '../../delivery/delivery-status.ts';
import type { Db } from './store-context.ts';

export interface NewDelivery {
  /** Null for a routed delivery, which belongs to no trace. */
  tracePk: string | null;
  kind: DeliveryKind;
  destination: string;
  callbackId: string | null;
  contentType: string;
  body: string;
  isLate: boolean;
  /** A routed delivery's app and routing rule (a trace's deliveries take the app from the trace). */
  appId?: string;
  routeName?: string;
  /** `replay` or `redrive` when an operator asked for it, and who did. */
  source?: 'replay' | 'redrive';
  requestedBy?: string;
}

/** Inserts a delivery due now: every message the relay sends starts here. */
export async function insertDelivery(db: Db, delivery: NewDelivery, now: number): Promise<string> {
  const row: Insertable<DeliveriesTable> = {
    id: randomUUID(),
    trace_pk: delivery.tracePk,
    kind: delivery.kind,
    destination: delivery.destination,
    callback_id: delivery.callbackId,
    content_type: delivery.contentType,
    body: delivery.body,
    is_late: delivery.isLate ? 1 : 0,
    status: DeliveryStatus.pending,
    attempt_count: 0,
    next_attempt_at: now,
    lease_owner: null,
    created_at: now,
    updated_at: now,
    app_id: delivery.appId ?? null,
    route_name: delivery.routeName ?? null,
    source: delivery.source ?? null,
    requested_by: delivery.requestedBy ?? null,
  };
  await db.insertInto('relay_deliveries').values(row).execute();
  return row.id;
}
