import type { AttemptView, TraceDetail, TraceRecord } from '../../storage/relay-store.ts';
import { iso } from '../iso-time.ts';
import { maskServerUri } from '../../redaction/url-credentials.ts';

/** The short answer to a registration. */
export function registrationView(trace: TraceRecord, created: boolean): Record<string, unknown> {
  return {
    trace_id: trace.traceId,
    app_id: trace.appId,
    server_uri: maskServerUri(trace.serverUri),
    status: trace.status,
    created,
    created_at: iso(trace.createdAt),
    deadline_at: iso(trace.deadlineAt),
  };
}

/** What every view of a trace says about it: who registered it where, and how it stands. */
export function traceFields(trace: TraceRecord): Record<string, unknown> {
  return {
    trace_id: trace.traceId,
    app_id: trace.appId,
    server_uri: maskServerUri(trace.serverUri),
    status: trace.status,
    error: trace.error,
    late: trace.isLate,
    created_at: iso(trace.createdAt),
    updated_at: iso(trace.updatedAt),
    deadline_at: iso(trace.deadlineAt),
  };
}

/** The whole story of a trace, as `GET /api/moderate/trace/<id>` answers it. */
export function traceDetailView(trace: TraceDetail): Record<string, unknown> {
  return {
    ...traceFields(trace),
    callback: trace.callback && {
      event: trace.callback.event,
      received_at: iso(trace.callback.receivedAt),
      content_type: trace.callback.contentType,
      duplicates: trace.callback.duplicateCount,
      body: trace.callback.body,
    },
    conflicts: trace.conflicts.map((conflict) => ({ received_at: iso(conflict.receivedAt), body: conflict.body })),
    deliveries: trace.deliveries.map((delivery) => ({
      id: delivery.id,
      kind: delivery.kind,
      source: delivery.source,
      requested_by: delivery.requestedBy,
      status: delivery.status,
      late: delivery.isLate,
      attempt_count: delivery.attemptCount,
      next_attempt_at: iso(delivery.nextAttemptAt),
      created_at: iso(delivery.createdAt),
    })),
    attempts: trace.attempts.map((attempt) => ({ ...attemptView(attempt), kind: attempt.kind, response_excerpt: attempt.responseExcerpt })),
  };
}

/** One attempt as every API answer shows it. */
export function attemptView(attempt: AttemptView): Record<string, unknown> {
  return {
    delivery_id: attempt.deliveryId,
    attempt: attempt.attempt,
    at: iso(attempt.startedAt),
    http_status: attempt.httpStatus,
    duration_ms: attempt.durationMs,
    outcome: attempt.outcome,
    error: attempt.errorMessage,
  };
}
