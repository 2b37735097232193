import { newRowId } from '../row-id.ts';
import type { Insertable } from 'kysely';
import type { DeliveriesTable } from '../database-schema.ts';
import { DeliveryStatus, type DeliveryKind } from '../../model/delivery-status.ts';
import type { Db } from './store-context.ts';
import { QueryTemplate } from './query-template.ts';
import type { IngestLease } from '../relay-store.ts';

export interface NewDelivery {
  /** Null for a routed delivery, which belongs to no trace. */
  tracePk: string | null;
  kind: DeliveryKind;
  destination: string;
  callbackId: string | null;
  contentType: string;
  /** Null: the body of the push `callbackId` names, stored once with the push. */
  body: string | null;
  isLate: boolean;
  /** A routed delivery's app and routing rule (a trace's deliveries take the app from the trace). */
  appId?: string;
  routeName?: string;
  /** `replay` or `redrive` when an operator asked for it, and who did. */
  source?: 'replay' | 'redrive';
  requestedBy?: string;
  /** Leased at once to this worker (first attempt under way) instead of waiting for a claim. */
  lease?: IngestLease;
}

type DeliveryColumn = keyof Insertable<DeliveriesTable> & string;
const DELIVERY_COLUMNS = Object.keys(deliveryRow({ tracePk: null, kind: 'callback', destination: '', callbackId: null, contentType: '', body: '', isLate: false }, 0)) as DeliveryColumn[];
/** Every verdict inserts one delivery: compiled once. */
const INSERT_ONE = new QueryTemplate<DeliveryColumn>((db, slot) =>
  db.insertInto('relay_deliveries').values(Object.fromEntries(DELIVERY_COLUMNS.map((column) => [column, slot(column)])) as never));

/** Inserts a delivery due now: every message the relay sends starts here. */
export async function insertDelivery(db: Db, delivery: NewDelivery, now: number): Promise<string> {
  const row = deliveryRow(delivery, now);
  await INSERT_ONE.execute(db, row as Record<DeliveryColumn, unknown>);
  return row.id;
}

/** Inserts many deliveries due now in one statement; their ids, in order. */
export async function insertDeliveries(db: Db, deliveries: readonly NewDelivery[], now: number): Promise<string[]> {
  if (deliveries.length === 0) return [];
  const rows = deliveries.map((delivery) => deliveryRow(delivery, now));
  await db.insertInto('relay_deliveries').values(rows).execute();
  return rows.map((row) => row.id);
}

function deliveryRow(delivery: NewDelivery, now: number): Insertable<DeliveriesTable> & { id: string } {
  return {
    id: newRowId(),
    trace_pk: delivery.tracePk,
    kind: delivery.kind,
    destination: delivery.destination,
    callback_id: delivery.callbackId,
    content_type: delivery.contentType,
    body: delivery.body,
    is_late: delivery.isLate ? 1 : 0,
    // A leased row looks exactly like one claimed: delivering, attempt 1, due again when the lease ends.
    status: delivery.lease ? DeliveryStatus.delivering : DeliveryStatus.pending,
    attempt_count: delivery.lease ? 1 : 0,
    next_attempt_at: delivery.lease ? now + delivery.lease.leaseMs : now,
    lease_owner: delivery.lease?.owner ?? null,
    created_at: now,
    updated_at: now,
    app_id: delivery.appId ?? null,
    route_name: delivery.routeName ?? null,
    source: delivery.source ?? null,
    requested_by: delivery.requestedBy ?? null,
  };
}
