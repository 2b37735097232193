import { iso } from '../iso-time.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RelayError } from '../../errors/relay-error.ts';
import { identityOf } from '../access-guard.ts';
import { assertUnscoped } from '../access-scope.ts';
import { maskServerUri } from '../../redaction/url-credentials.ts';
import { traceFields } from '../registration/trace-view.ts';
import type { ReadModels, TraceRecord } from '../../storage/relay-store.ts';
import type { Clock } from '../../time/clock.ts';
import {
  ACTIVITY_LIMITS, ACTIVITY_SCHEMA, DESTINATIONS_SCHEMA, TRACE_LIST_SCHEMA,
  type ActivityQuery, type DestinationQuery, type TraceListQuery,
} from './admin-schemas.ts';
import { decodeTraceCursor, encodeTraceCursor } from './trace-cursor.ts';

export interface AdminReadOptions {
  store: ReadModels;
  clock: Clock;
  guard: (request: FastifyRequest) => void;
  /** The circuit breaker's state for a destination on this instance, or null when it keeps none. */
  circuitOf?: (destination: string) => string | null;
}


function traceSummary(trace: TraceRecord): Record<string, unknown> {
  return { ...traceFields(trace), conflicts: trace.conflictCount };
}

/** The schema checked the format; this turns it into epoch ms. */
const toMs = (text: string | undefined): number | undefined => (text === undefined ? undefined : Date.parse(text));

/**
 * The dashboard's read side of the admin API: the trace list, destination health
 * and activity counts. Behind the same guard as the rest of the admin API.
 */
export function registerAdminReadRoutes(app: FastifyInstance, options: AdminReadOptions): void {
  const { store, clock } = options;
  // The read side shows every app and destination, so a key scoped to some of them may not use it.
  const onRequest = async (request: FastifyRequest) => {
    options.guard(request);
    assertUnscoped(identityOf(request));
  };

  app.get<{ Querystring: TraceListQuery }>('/api/admin/traces', { schema: TRACE_LIST_SCHEMA, onRequest }, async (request) => {
    const query = request.query;
    const page = await store.listTraces({
      status: query.status,
      appId: query.app_id,
      destination: query.destination,
      createdFrom: toMs(query.from),
      createdTo: toMs(query.to),
      traceIdPrefix: query.q,
    }, query.cursor === undefined ? null : decodeTraceCursor(query.cursor), query.limit);
    return { traces: page.traces.map(traceSummary), next_cursor: page.next && encodeTraceCursor(page.next) };
  });

  app.get<{ Querystring: DestinationQuery }>('/api/admin/destination-health', { schema: DESTINATIONS_SCHEMA, onRequest }, async (request) => {
    const { window_s: windowS, limit } = request.query;
    const health = await store.summarizeDestinations(clock.now() - windowS * 1000, limit);
    return {
      window_s: windowS,
      destinations: health.map((item) => ({
        destination: maskServerUri(item.destination),
        attempts: item.attempts,
        successes: item.successes,
        success_rate: item.attempts === 0 ? 0 : item.successes / item.attempts,
        last_attempt_at: iso(item.lastAttemptAt),
        last_http_status: item.lastHttpStatus,
        last_outcome: item.lastOutcome,
        open_deliveries: item.openDeliveries,
        circuit: options.circuitOf?.(item.destination) ?? null,
      })),
    };
  });

  app.get<{ Querystring: ActivityQuery }>('/api/admin/activity', { schema: ACTIVITY_SCHEMA, onRequest }, async (request) => {
    const bucketMs = request.query.bucket_s * 1000;
    const to = toMs(request.query.to) ?? clock.now();
    // Without `from`, the 24 hours before `to`.
    const from = toMs(request.query.from) ?? to - ACTIVITY_LIMITS.defaultRangeMs;
    if (from >= to) throw new RelayError('INVALID_FIELD', 'from must be before to');
    if ((to - from) / bucketMs > ACTIVITY_LIMITS.maxBuckets) {
      throw new RelayError('INVALID_FIELD', `that range holds more than ${ACTIVITY_LIMITS.maxBuckets} buckets: widen bucket_s or narrow from/to`);
    }
    const buckets = await store.countActivity(from, to, bucketMs);
    return {
      from: iso(from),
      to: iso(to),
      bucket_s: request.query.bucket_s,
      buckets: buckets.map((bucket) => ({ start: iso(bucket.start), pushes: bucket.pushes, delivered: bucket.delivered, failed: bucket.failed, timed_out: bucket.timedOut })),
    };
  });
}
