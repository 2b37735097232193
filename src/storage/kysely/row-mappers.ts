import type { Selectable } from 'kysely';
import type { CallbacksTable, DeliveriesTable, TracesTable } from '../database-schema.ts';
import type { CallbackView, DeliveryView, TraceRecord } from '../relay-store.ts';
import type { CallbackState } from '../../model/callback-state.ts';
import type { TraceError, TraceStatus } from '../../model/trace-status.ts';
import type { DeliveryKind, DeliveryStatus } from '../../model/delivery-status.ts';

// Drivers differ in how they return BIGINT (pg: string, mysql2: number or string); normalise here.
const num = (value: unknown): number => Number(value);

export function toTraceRecord(row: Selectable<TracesTable>): TraceRecord {
  return {
    pk: row.id,
    appId: row.app_id,
    traceId: row.trace_id,
    serverUri: row.server_uri,
    status: row.status as TraceStatus,
    error: row.error as TraceError | null,
    callbackId: row.callback_id,
    isLate: num(row.is_late) === 1,
    conflictCount: num(row.conflict_count),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    deadlineAt: num(row.deadline_at),
  };
}

export function toCallbackView(row: Selectable<CallbacksTable>): CallbackView {
  return {
    id: row.id,
    event: row.event,
    state: row.state as CallbackState,
    contentType: row.content_type,
    body: row.body,
    receivedAt: num(row.received_at),
    duplicateCount: num(row.duplicate_count),
  };
}

export function toDeliveryView(row: Selectable<DeliveriesTable>): DeliveryView {
  const isOpen = row.status === 'pending' || row.status === 'delivering';
  return {
    id: row.id,
    kind: row.kind as DeliveryKind,
    source: row.source ?? null,
    requestedBy: row.requested_by ?? null,
    route: row.route_name ?? null,
    status: row.status as DeliveryStatus,
    destination: row.destination,
    isLate: num(row.is_late) === 1,
    attemptCount: num(row.attempt_count),
    nextAttemptAt: isOpen ? num(row.next_attempt_at) : null,
    createdAt: num(row.created_at),
  };
}

export { num };
