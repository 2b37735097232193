import type { TraceDetail, TraceRecord } from '../storage/relay-store.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Hides the credentials of a server_uri. Both parts: a lone user name is often
 * a token (`https://<token>@host/`). Everything else is shown as registered.
 */
export function maskServerUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return uri.replace(/\/\/[^/@]*@/, '//***@');
  }
  if (url.username === '' && url.password === '') return uri;
  // The authority ends at the first / ? or #; its userinfo ends at its last @ (as URL parsers read it).
  const start = uri.indexOf('//') + 2;
  const rest = uri.slice(start);
  const authority = rest.slice(0, rest.search(/[/?#]|$/));
  const at = authority.lastIndexOf('@');
  if (start < 2 || at < 0) return `${url.protocol}//***@${url.host}${url.pathname}${url.search}`;
  return `${uri.slice(0, start)}${url.password === '' ? '***' : '***:***'}${rest.slice(at)}`;
}

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

/** The whole story of a trace, as `GET /api/moderate/trace/<id>` answers it. */
export function traceDetailView(trace: TraceDetail): Record<string, unknown> {
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
    attempts: trace.attempts.map((attempt) => ({
      delivery_id: attempt.deliveryId,
      kind: attempt.kind,
      attempt: attempt.attempt,
      at: iso(attempt.startedAt),
      http_status: attempt.httpStatus,
      duration_ms: attempt.durationMs,
      outcome: attempt.outcome,
      error: attempt.errorMessage,
      response_excerpt: attempt.responseExcerpt,
    })),
  };
}
