import Type from 'typebox';
import { REGISTRATION_LIMITS } from '../../registration/registration-input.ts';
import { GUARDED, GUARDED_SECURITY, errorResponses } from './error-responses.ts';

/**
 * Descriptions of the routes whose input is checked in code rather than by a
 * route schema: the registration body (registration-input.ts, with its own error
 * codes and the older field names), WeChat's raw pushes (signature, then JSON or
 * XML sniffing) and the operations endpoints. They document; they never validate,
 * so the answers stay exactly what that code gives. The limits come from the same
 * constants the code checks.
 */
const traceIdField = Type.String({ minLength: 1, maxLength: REGISTRATION_LIMITS.traceIdLength, description: 'The trace_id WeChat returned (`traceId` accepted too).' });
const serverUriField = Type.String({ minLength: 1, maxLength: REGISTRATION_LIMITS.serverUriLength, description: 'Absolute http(s) URL the result is forwarded to (`uri` accepted too); must match RELAY_ALLOWED_DESTINATIONS when set.' });

export const RegistrationBody = Type.Object({
  trace_id: traceIdField,
  server_uri: serverUriField,
  app_id: Type.Optional(Type.String({ pattern: `^[A-Za-z0-9_-]{1,${REGISTRATION_LIMITS.appIdLength}}$`, description: 'Which configured mini program; default the one behind /api/wechat.' })),
  timeout_s: Type.Optional(Type.Integer({ minimum: 1, maximum: REGISTRATION_LIMITS.maxTimeoutS, description: 'Deadline after registration, seconds; default RELAY_CALLBACK_TIMEOUT_S.' })),
});

const Registration = Type.Object({
  trace_id: Type.String(), app_id: Type.String(), server_uri: Type.String(), status: Type.String(),
  created: Type.Boolean(), created_at: Type.String({ format: 'date-time' }), deadline_at: Type.String({ format: 'date-time' }),
}, { additionalProperties: true });

const TraceDetail = Type.Object({
  trace_id: Type.String(), app_id: Type.String(), server_uri: Type.String(), status: Type.String(),
  error: Type.Union([Type.String(), Type.Null()]), late: Type.Boolean(),
  created_at: Type.String(), updated_at: Type.String(), deadline_at: Type.String(),
  callback: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  conflicts: Type.Array(Type.Object({}, { additionalProperties: true })),
  deliveries: Type.Array(Type.Object({}, { additionalProperties: true })),
  attempts: Type.Array(Type.Object({
    delivery_id: Type.String(), kind: Type.String(), attempt: Type.Integer(), at: Type.String(),
    http_status: Type.Union([Type.Integer(), Type.Null()]), duration_ms: Type.Integer(), outcome: Type.String(),
    error: Type.Union([Type.String(), Type.Null()]), response_excerpt: Type.Union([Type.String(), Type.Null()]),
  }, { additionalProperties: true })),
}, { additionalProperties: true });

const wechatQuery = Type.Object({
  signature: Type.Optional(Type.String()), timestamp: Type.Optional(Type.String()), nonce: Type.Optional(Type.String()),
  echostr: Type.Optional(Type.String({ description: 'URL verification only.' })),
  encrypt_type: Type.Optional(Type.String({ description: '`aes` in safe and compatible mode.' })),
  msg_signature: Type.Optional(Type.String()), openid: Type.Optional(Type.String()),
});
const appidParam = Type.Object({ appid: Type.String({ description: 'A configured AppID.' }) });
const text = (description: string) => Type.String({ description });
const wechatGet = { tags: ['wechat'], summary: 'WeChat URL verification: answers echostr when the signature matches', querystring: wechatQuery, response: { 200: text('The echostr, as text/plain.'), ...errorResponses(['SIGNATURE_INVALID', 'APP_NOT_CONFIGURED']) } };
const wechatPost = {
  tags: ['wechat'], summary: 'A WeChat push (plain, compatible or safe mode; JSON or XML): answers `success` once stored',
  querystring: wechatQuery,
  body: Type.String({ description: 'The push exactly as WeChat sends it.' }),
  response: { 200: text('`success`, as text/plain.'), ...errorResponses(['SIGNATURE_INVALID', 'APP_NOT_CONFIGURED', 'INVALID_PUSH', 'XML_NOT_ALLOWED', 'MISSING_TRACE_ID', 'BODY_TOO_LARGE', 'STORAGE_UNAVAILABLE']) },
};

const replayDocs = {
  'POST /api/moderate/trace/:traceId/replay': {
    tags: ['admin'], security: GUARDED_SECURITY, summary: 'Re-send a trace\'s stored verdict (or its timeout notice) as a new delivery; audited',
    params: Type.Object({ traceId: Type.String() }),
    querystring: Type.Object({ app_id: Type.Optional(Type.String()) }),
    response: {
      202: Type.Object({ delivery_id: Type.String(), kind: Type.String(), trace_id: Type.String(), app_id: Type.String() }),
      ...errorResponses([...GUARDED, 'NOT_FOUND', 'NOTHING_TO_REPLAY', 'DELIVERY_IN_PROGRESS']),
    },
  },
  'POST /api/admin/redrive': {
    tags: ['admin'], security: GUARDED_SECURITY, summary: 'Replay every failed trace matching the filter (or count them with dry_run); audited',
    body: Type.Object({
      status: Type.Literal('failed'),
      app_id: Type.Optional(Type.String()),
      destination_prefix: Type.Optional(Type.String({ maxLength: 2048 })),
      since: Type.Optional(Type.Union([Type.String(), Type.Integer()], { description: 'ISO 8601 time or epoch ms.' })),
      until: Type.Optional(Type.Union([Type.String(), Type.Integer()], { description: 'ISO 8601 time or epoch ms.' })),
      dry_run: Type.Optional(Type.Boolean()),
    }),
    response: {
      200: Type.Object({ matched: Type.Integer(), redriven: Type.Integer(), dry_run: Type.Boolean() }),
      ...errorResponses([...GUARDED, 'INVALID_JSON', 'INVALID_REQUEST', 'INVALID_FIELD', 'BODY_TOO_LARGE']),
    },
  },
  'GET /api/admin/audit': {
    tags: ['admin'], security: GUARDED_SECURITY, summary: 'Who replayed or redrove what, newest first',
    querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), before: Type.Optional(Type.String({ format: 'date-time' })) }),
    response: { 200: Type.Object({ entries: Type.Array(Type.Object({}, { additionalProperties: true })) }), ...errorResponses([...GUARDED, 'INVALID_FIELD']) },
  },
};

const anyObject = Type.Object({}, { additionalProperties: true });
const otherDocs = {
  'GET /api/admin/destinations': {
    tags: ['admin'], security: GUARDED_SECURITY, summary: 'Each origin\'s circuit breaker and sends in flight, as this instance sees them',
    response: { 200: Type.Object({ destinations: Type.Array(anyObject) }), ...errorResponses(GUARDED) },
  },
  'GET /api/callbacks': {
    tags: ['admin'], security: GUARDED_SECURITY, summary: 'Stored pushes, newest first (all apps)',
    querystring: Type.Object({ app_id: Type.Optional(Type.String()), state: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1 })) }),
    response: { 200: anyObject, ...errorResponses([...GUARDED, 'INVALID_FIELD']) },
  },
  'GET /api/callbacks/:id': {
    tags: ['admin'], security: GUARDED_SECURITY, summary: 'One stored push with its deliveries and attempts',
    params: Type.Object({ id: Type.String() }),
    response: { 200: anyObject, ...errorResponses([...GUARDED, 'NOT_FOUND']) },
  },
  'GET /api/tunnel/:name': {
    tags: ['operations'], security: GUARDED_SECURITY, summary: 'WebSocket endpoint `callback-relay listen` connects to (dev tunnel)',
    params: Type.Object({ name: Type.String() }),
    response: { 101: text('Switching protocols to WebSocket.'), ...errorResponses(GUARDED) },
  },
};

export const ROUTE_DOCS: Readonly<Record<string, Record<string, unknown> & { consumes?: string[] }>> = {
  'GET /healthz': { tags: ['operations'], summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  'GET /readyz': { tags: ['operations'], summary: 'Storage answers (503 when not)', response: { 200: Type.Object({}, { additionalProperties: true }), 503: Type.Object({}, { additionalProperties: true }) } },
  'GET /metrics': { tags: ['operations'], summary: 'Prometheus text format', response: { 200: text('Prometheus exposition format.') } },
  'POST /api/moderate/trace': {
    tags: ['registration'], security: GUARDED_SECURITY, summary: 'Register (trace_id, server_uri) right after WeChat returns the trace_id',
    body: RegistrationBody,
    response: {
      200: Registration, 201: Registration,
      ...errorResponses([...GUARDED, 'INVALID_JSON', 'INVALID_REQUEST', 'MISSING_FIELD', 'FIELD_TOO_LONG', 'INVALID_FIELD', 'INVALID_SERVER_URI', 'DESTINATION_NOT_ALLOWED', 'APP_NOT_CONFIGURED', 'TRACE_CONFLICT', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']),
    },
  },
  'GET /api/moderate/trace/:traceId': {
    tags: ['registration'], security: GUARDED_SECURITY, summary: 'A trace\'s state: status, error, deadline, the push, every delivery and attempt',
    params: Type.Object({ traceId: Type.String() }),
    querystring: Type.Object({ app_id: Type.Optional(Type.String()) }),
    response: { 200: TraceDetail, ...errorResponses([...GUARDED, 'NOT_FOUND']) },
  },
  'GET /api/wechat': wechatGet,
  'POST /api/wechat': { ...wechatPost, consumes: ['application/json', 'application/xml', 'text/xml'] },
  'GET /api/wechat/:appid': { ...wechatGet, params: appidParam },
  'POST /api/wechat/:appid': { ...wechatPost, params: appidParam, consumes: ['application/json', 'application/xml', 'text/xml'] },
  ...replayDocs,
  ...otherDocs,
};

