import Type, { type Static } from 'typebox';
import { TraceStatus } from '../../model/trace-status.ts';
import { GUARDED, GUARDED_SECURITY, errorResponses } from '../openapi/error-responses.ts';

const isoTime = (description: string) => Type.String({ format: 'date-time', description });
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const statusSchema = Type.Enum(Object.values(TraceStatus), { description: 'A trace status.' });

/** Paging limits of the trace list. */
export const TRACE_PAGE = { defaultLimit: 50, maxLimit: 200 } as const;
/** The activity chart's limits: enough buckets for a month by the hour, never an unbounded scan. */
export const ACTIVITY_LIMITS = { maxBuckets: 750, defaultRangeMs: 86_400_000, defaultBucketS: 3600 } as const;

export const TraceListQuery = Type.Object({
  status: Type.Optional(statusSchema),
  app_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  destination: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'A registered server_uri, exactly (see /api/admin/destination-health).' })),
  from: Type.Optional(isoTime('Registered at or after this time.')),
  to: Type.Optional(isoTime('Registered before this time.')),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Trace ids starting with this text.' })),
  limit: Type.Integer({ minimum: 1, maximum: TRACE_PAGE.maxLimit, default: TRACE_PAGE.defaultLimit }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 600, description: 'next_cursor of the previous page.' })),
}, { additionalProperties: false });
export type TraceListQuery = Static<typeof TraceListQuery>;

export const TraceSummary = Type.Object({
  trace_id: Type.String(),
  app_id: Type.String(),
  server_uri: Type.String({ description: 'Credentials in the URL are masked.' }),
  status: statusSchema,
  error: nullable(Type.String()),
  late: Type.Boolean(),
  conflicts: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  deadline_at: Type.String({ format: 'date-time' }),
});

export const TraceListResponse = Type.Object({
  traces: Type.Array(TraceSummary),
  next_cursor: nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last.' })),
});

export const DestinationQuery = Type.Object({
  window_s: Type.Integer({ minimum: 60, maximum: 30 * 86_400, default: 3600, description: 'How far back attempts count, seconds.' }),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
}, { additionalProperties: false });
export type DestinationQuery = Static<typeof DestinationQuery>;

export const DestinationResponse = Type.Object({
  window_s: Type.Integer(),
  destinations: Type.Array(Type.Object({
    destination: Type.String({ description: 'Credentials in the URL are masked.' }),
    attempts: Type.Integer(),
    successes: Type.Integer(),
    success_rate: Type.Number({ minimum: 0, maximum: 1 }),
    last_attempt_at: Type.String({ format: 'date-time' }),
    last_http_status: nullable(Type.Integer()),
    last_outcome: Type.String(),
    open_deliveries: Type.Integer(),
    circuit: nullable(Type.String({ description: 'closed, open or half_open: the circuit breaker of this instance for the destination\'s origin; null when this instance has sent nothing there (or runs no worker).' })),
  })),
});

export const ActivityQuery = Type.Object({
  from: Type.Optional(isoTime('Start; default 24 h before `to`.')),
  to: Type.Optional(isoTime('End; default now.')),
  bucket_s: Type.Integer({ minimum: 60, maximum: 86_400 * 31, default: ACTIVITY_LIMITS.defaultBucketS }),
}, { additionalProperties: false });
export type ActivityQuery = Static<typeof ActivityQuery>;

export const ActivityResponse = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  bucket_s: Type.Integer(),
  buckets: Type.Array(Type.Object({
    start: Type.String({ format: 'date-time' }),
    pushes: Type.Integer(),
    delivered: Type.Integer(),
    failed: Type.Integer(),
    timed_out: Type.Integer(),
  })),
});

const adminErrors = errorResponses([...GUARDED, 'INVALID_REQUEST', 'INVALID_FIELD']);

export const TRACE_LIST_SCHEMA = {
  tags: ['admin'], security: GUARDED_SECURITY, summary: 'List traces, newest first, filtered and keyset-paged',
  querystring: TraceListQuery, response: { 200: TraceListResponse, ...adminErrors },
};
export const DESTINATIONS_SCHEMA = {
  tags: ['admin'], security: GUARDED_SECURITY, summary: 'Health of each destination over a recent window',
  querystring: DestinationQuery, response: { 200: DestinationResponse, ...adminErrors },
};
export const ACTIVITY_SCHEMA = {
  tags: ['admin'], security: GUARDED_SECURITY, summary: 'Pushes, delivered, failed and timed-out counts per time bucket',
  querystring: ActivityQuery, response: { 200: ActivityResponse, ...adminErrors },
};
