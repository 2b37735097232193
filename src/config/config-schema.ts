import Type, { type Static } from 'typebox';

/**
 * Where events that carry no registered id go: the first rule whose `msgType`
 * and `event` both match (an omitted one matches anything) sends the event to
 * each of its destinations, with the same durable delivery and retries as a trace.
 */
export const EventRouteSchema = Type.Object({
  /** Shown in the API, logs and the `x-relay-route` header. */
  name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
  /** `MsgType` to match (`event`, `text`, …); omitted = any. */
  msgType: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** `Event` to match (`subscribe_msg_sent_event`, …); omitted = any. */
  event: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** Absolute http(s) URLs; each receives its own delivery (fan-out). */
  destinations: Type.Array(Type.String({ maxLength: 2048, pattern: '^https?://[^\\s/?#]+' }), { minItems: 1, maxItems: 16 }),
}, { additionalProperties: false });
export type EventRoute = Static<typeof EventRouteSchema>;

/** One mini program (or official account) whose pushes the relay accepts. */
export const WechatAppSchema = Type.Object({
  /** The AppID (`wx…`); also the `<appid>` of `/api/wechat/<appid>`. */
  appId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  /** The console's Token. Without it, the app's pushes are refused (unless RELAY_ACCEPT_UNSIGNED_PUSHES, from loopback). */
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** The console's 43-character EncodingAESKey, for safe and compatible mode. */
  encodingAesKey: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{43}$' })),
  /**
   * The console's 数据格式. When set, a push in the other format is refused (415)
   * rather than forwarded to handlers that cannot read it. Unset = either, as sent.
   */
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('xml')])),
  /**
   * The console's 消息加解密方式. `compatible` and `safe` refuse unencrypted pushes
   * (nothing signs a plain body); `plain` or unset accept both, so switching the
   * console to an encrypted mode never loses a push.
   */
  mode: Type.Optional(Type.Union([Type.Literal('plain'), Type.Literal('compatible'), Type.Literal('safe')])),
  /** Extra id-keyed events: `Event` name → field (dotted path) carrying the id a business server registers. */
  correlationFields: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*$' }))),
  /** Routing rules for events that carry no registered id. */
  routes: Type.Optional(Type.Array(EventRouteSchema, { maxItems: 100 })),
  /** The AppSecret (开发设置): with it the relay holds the app's access_token and proxies WeChat's server API under /wxapi. */
  appSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
}, { additionalProperties: false });
export type WechatApp = Static<typeof WechatAppSchema>;

/**
 * A provider other than WeChat that pushes id-keyed results to one URL,
 * `/api/hooks/<name>`; registrations name it as their `app_id`. Which secrets a
 * kind needs is checked at start (config/source-checks.ts).
 */
export const SourceSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  kind: Type.Union([Type.Literal('wecom'), Type.Literal('douyin'), Type.Literal('tencent-cloud'), Type.Literal('aliyun-green'), Type.Literal('standard-webhooks'), Type.Literal('hmac')]),
  /** Dotted path of the id in the JSON body, the form fields or the XML (for wecom, the decrypted one); a number steps into an array, a string holding JSON is stepped into. */
  idPath: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$' }),
  /** hmac, standard-webhooks (`whsec_…`), douyin: the signing secret. */
  secret: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  /** hmac: the header carrying the signature. */
  header: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9-]+$' })),
  algorithm: Type.Optional(Type.Union([Type.Literal('sha256'), Type.Literal('sha1')])),
  encoding: Type.Optional(Type.Union([Type.Literal('hex'), Type.Literal('base64')])),
  /** hmac: text before the signature in the header, e.g. `sha256=`. */
  prefix: Type.Optional(Type.String({ maxLength: 32 })),
  /** wecom: the app's callback Token, 43-character EncodingAESKey and the corp id (the receive id of its ciphertext). */
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  encodingAesKey: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{43}$' })),
  corpId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })),
  /** aliyun-green: the account uid that signs the checksum with the seed. */
  uid: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** tencent-cloud, aliyun-green: the callback seed (回调密钥). */
  seed: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  /** Where a push without the id goes (each gets its own delivery); absent: stored and answered as unmatched. */
  destinations: Type.Optional(Type.Array(Type.String({ maxLength: 2048, pattern: '^https?://[^\\s/?#]+' }), { minItems: 1, maxItems: 16 })),
  /** The answer after the durable write; default 200 with an empty body. */
  ack: Type.Optional(Type.Object({
    status: Type.Optional(Type.Integer({ minimum: 200, maximum: 299 })),
    body: Type.Optional(Type.String({ maxLength: 4096 })),
    contentType: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  }, { additionalProperties: false })),
}, { additionalProperties: false });
export type Source = Static<typeof SourceSchema>;

/**
 * An API key limited to some apps and destinations (config file only), so one
 * project cannot register trace ids to another's server or read its traces.
 */
export const ScopedApiKeySchema = Type.Object({
  /** Public name, shown in the audit log as `key:<id>`. */
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
  /** The key itself; or give `keySha256` so the file holds no secret. */
  key: Type.Optional(Type.String({ minLength: 16 })),
  /** Hex SHA-256 of the key. */
  keySha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
  /** App ids this key may use; absent = any. */
  appIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }))),
  /** URL prefixes its server_uris must be under; absent = any. */
  destinationPrefixes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** Paths of WeChat's API it may call through /wxapi, as prefixes (`wxa/media_check_async`, `wxa/`); absent = any. */
  apiPaths: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_./-]+$' }))),
}, { additionalProperties: false });
export type ScopedApiKey = Static<typeof ScopedApiKeySchema>;

export const RelayConfigSchema = Type.Object({
  /** Listen port. Default 9000. */
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  /** Listen address. Default 0.0.0.0. */
  host: Type.String({ minLength: 1 }),
  /** `sqlite:<file>`, `sqlite::memory:`, `postgres://…` or `mysql://…`. */
  databaseUrl: Type.String({ minLength: 1 }),
  /** Optional Redis for the hot index and wake-ups; never the source of truth. */
  redisUrl: Type.Optional(Type.String({ minLength: 1 })),
  /** Mini programs; the first comes from WECHAT_* and serves `/api/wechat`. */
  apps: Type.Array(WechatAppSchema),
  /** Other providers, at `/api/hooks/<name>` (RELAY_CONFIG only). Default none. */
  sources: Type.Array(SourceSchema, { maxItems: 100 }),
  /** AppID of the app behind `/api/wechat` (and of registrations without app_id). */
  defaultAppId: Type.String({ minLength: 1 }),
  /** Deadline after registration, seconds. Default 1800. */
  callbackTimeoutS: Type.Integer({ minimum: 1, maximum: 30 * 86_400 }),
  /** How often deadlines and parked pushes are checked, ms. Default 1000. */
  sweepIntervalMs: Type.Integer({ minimum: 10, maximum: 60_000 }),
  /** Delays between forwarding attempts, ms; attempts = delays + 1. */
  retryScheduleMs: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: 100 }),
  /** Whole-attempt timeout for one forward, ms. Default 15000. */
  attemptTimeoutMs: Type.Integer({ minimum: 100, maximum: 300_000 }),
  /** Largest Retry-After the relay honours, ms. Default 1 h. */
  retryAfterMaxMs: Type.Integer({ minimum: 0 }),
  /** How long a push for an unregistered trace_id waits for its registration, seconds. Default 86400. */
  parkedGraceS: Type.Integer({ minimum: 1 }),
  /** Forwards in flight at once to one destination origin, per instance. Default 32. */
  destinationConcurrency: Type.Integer({ minimum: 1, maximum: 1024 }),
  /** Consecutive failures (timeouts, refused connections, 5xx, 429) that open an origin's circuit; 0 = no breaker. Default 5. */
  breakerFailures: Type.Integer({ minimum: 0, maximum: 1000 }),
  /** How long an open circuit waits before one probe, ms. Default 10000. */
  breakerCooldownMs: Type.Integer({ minimum: 10, maximum: 3_600_000 }),
  /** Optional: no retry later than this many seconds after the trace's deadline. Default unset (the schedule alone). */
  retryBudgetS: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Forwards in flight at once per instance. Default 64. */
  workerConcurrency: Type.Integer({ minimum: 1, maximum: 1024 }),
  /** Bearer keys for the registration and admin APIs; empty = loopback clients only. */
  apiKeys: Type.Array(Type.String({ minLength: 8 })),
  /** Keys limited to apps and destination prefixes (RELAY_CONFIG file only). Default none. */
  scopedApiKeys: Type.Array(ScopedApiKeySchema),
  /** Standard Webhooks secrets (`whsec_…`); the first signs, all are listed. */
  signingSecrets: Type.Array(Type.String({ pattern: '^whsec_[A-Za-z0-9+/=]+$' })),
  /** URL prefixes a server_uri must start with; empty = any. */
  allowedDestinations: Type.Array(Type.String({ minLength: 1 })),
  /** Also refuse loopback, private, link-local, ULA and other non-public destinations (checked on the address connected to). Default false. */
  blockPrivateDestinations: Type.Boolean(),
  /** Which loops this instance runs, so instances can specialise. */
  roles: Type.Object({ api: Type.Boolean(), worker: Type.Boolean(), sweeper: Type.Boolean() }, { additionalProperties: false }),
  /** Run migrations at start. Default true. */
  migrateOnStart: Type.Boolean(),
  /** SQLite `synchronous` pragma: `full` survives power loss, `normal` only process crashes. */
  sqliteSynchronous: Type.Union([Type.Literal('full'), Type.Literal('normal')]),
  /** Registrations per minute per API key (per instance); 0 = no limit. Default 3000. */
  registrationRateLimitPerMinute: Type.Integer({ minimum: 0 }),
  /** Longest a request may take to arrive, and longest a connection may sit idle, ms. Default 30000. */
  requestTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
  /** Body limit of the registration API, bytes. Default 16 KiB. */
  registrationBodyLimitBytes: Type.Integer({ minimum: 256 }),
  /** Body limit of the push endpoint, bytes. Default 1 MiB. */
  pushBodyLimitBytes: Type.Integer({ minimum: 1024 }),
  /** Keys that may open only the dev tunnel of one name (`RELAY_TUNNEL_KEYS=alice:<key>,…`); RELAY_API_KEYS open any name. */
  tunnelKeys: Type.Array(Type.Object({ name: Type.String({ pattern: '^[a-z0-9-]{1,63}$' }), key: Type.String({ minLength: 8 }) }, { additionalProperties: false })),
  /** How long a tunnel delivery waits, without spending attempts, for a listener, seconds. Default 86400. */
  tunnelMaxWaitS: Type.Integer({ minimum: 1, maximum: 30 * 86_400 }),
  /** Ping interval of tunnel connections, ms; a listener silent for a whole interval is dropped. Default 15000. */
  tunnelPingIntervalMs: Type.Integer({ minimum: 100, maximum: 300_000 }),
  /** Connections per instance in the PostgreSQL/MySQL pool. Default 10. */
  dbPoolMax: Type.Integer({ minimum: 1, maximum: 1000 }),
  /** Longest a single SQL statement may run before the database cancels it, ms. Default 10000. */
  dbStatementTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
  /** Longest to wait for a new database connection (and for a free one in the pool), ms. Default 5000. */
  dbConnectTimeoutMs: Type.Integer({ minimum: 100, maximum: 120_000 }),
  /** Delivered and timed-out traces older than this are purged, days; 0 keeps everything. Default 30. */
  retentionDays: Type.Integer({ minimum: 0, maximum: 36_500 }),
  /** How often the retention purge runs, ms. Default 60000. */
  retentionIntervalMs: Type.Integer({ minimum: 10, maximum: 86_400_000 }),
  /** How long a claim holds a delivery before another instance may take it over, ms; must exceed attemptTimeoutMs. Default 2 × attemptTimeoutMs + 1000. */
  deliveryLeaseMs: Type.Optional(Type.Integer({ minimum: 200, maximum: 3_600_000 })),
  /** Longest idle wait of the delivery worker between polls, ms; with Redis, wake-ups come at once anyway. Default 1000. */
  workerPollIntervalMs: Type.Integer({ minimum: 10, maximum: 600_000 }),
  /** Prefix of every Redis key and channel, so several relays can share one Redis. Default `callback-relay:`. */
  redisKeyPrefix: Type.String({ minLength: 1, maxLength: 128 }),
  /**
   * Addresses or CIDRs of the proxies in front of the relay (RELAY_TRUSTED_PROXIES); only
   * their forwarding headers are believed. Default none.
   */
  trustedProxies: Type.Array(Type.String({ minLength: 1 })),
  /**
   * Operations endpoints that answer without a key even when RELAY_API_KEYS is set
   * (RELAY_PUBLIC_ENDPOINTS): `metrics` (/metrics) and `docs` (/docs, /openapi.json).
   * Left out, they take the API key like the admin API (a Basic password, for a
   * browser). Default both; /healthz, /readyz and the push endpoints are always open.
   */
  publicEndpoints: Type.Array(Type.Union([Type.Literal('metrics'), Type.Literal('docs')]), { uniqueItems: true }),
  /** Local testing only: an app without a token takes unsigned pushes from loopback senders. Default false. */
  acceptUnsignedPushes: Type.Boolean(),
  /** Plain-mode pushes whose timestamp is further than this from the relay's clock are refused, seconds. Default 300. */
  pushTimestampWindowS: Type.Integer({ minimum: 1, maximum: 86_400 }),
  /** Where WeChat's server API is (WECHAT_API_BASE), for the token and the /wxapi proxy. Default https://api.weixin.qq.com. */
  wechatApiBase: Type.String({ pattern: '^https?://[^\\s?#]+$' }),
  /** pino level. Default info. */
  logLevel: Type.Union([
    Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'),
    Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent'),
  ]),
}, { additionalProperties: false });

export type RelayConfig = Static<typeof RelayConfigSchema>;

/** The name of the app used when no WeChat app is configured at all (local development). */
export const UNCONFIGURED_APP_ID = 'default';

/** Default forwarding schedule: 11 attempts over about 28 hours. */
export const DEFAULT_RETRY_SCHEDULE = '5s,30s,2m,10m,30m,1h,2h,4h,8h,12h';
