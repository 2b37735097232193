import type { Selectable } from 'kysely';
import type { AttemptsTable, CallbacksTable, DeliveriesTable, TracesTable } from '../database-schema.ts';
import type { AttemptView, CallbackView, DeliveryView, TraceRecord } from '../relay-store.ts';
import type { CallbackState } from '../../model/callback-state.ts';
import type { TraceError, TraceStatus } from '../../model/trace-status.ts';
import type { AttemptOutcome, DeliveryKind, DeliveryStatus } from '../../model/delivery-status.ts';

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

/** An attempt row joined with its delivery's kind. */
type AttemptRow = Pick<Selectable<AttemptsTable>, 'delivery_id' | 'attempt_no' | 'started_at' | 'duration_ms' | 'http_status' | 'outcome' | 'error_message' | 'response_excerpt'> & { kind: string };

export function toAttemptView(row: AttemptRow): AttemptView {
  return {
    deliveryId: row.delivery_id,
    kind: row.kind as DeliveryKind,
    attempt: num(row.attempt_no),
    startedAt: num(row.started_at),
    durationMs: num(row.duration_ms),
    httpStatus: row.http_status === null ? null : num(row.http_status),
    outcome: row.outcome as AttemptOutcome,
    errorMessage: row.error_message,
    responseExcerpt: row.response_excerpt,
  };
}

export { num };
