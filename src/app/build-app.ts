import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { RelayConfig } from '../config/config-schema.ts';
import { registerCallbackRoutes } from '../http/callbacks/callback-routes.ts';
import { DeadlineSweeper } from '../deadline/deadline-sweeper.ts';
import { DeliveryWorker, type Handoff } from '../delivery/delivery-worker.ts';
import { HttpSender } from '../delivery/http-sender.ts';
import { registerAdminReadRoutes } from '../http/admin/admin-read-routes.ts';
import { acceptBasicAsBearer } from '../http/dashboard/browser-guard.ts';
import { registerDashboard } from '../http/dashboard/dashboard-routes.ts';
import { DestinationHealth, originOf } from '../delivery/destination-health.ts';
import { watchDestinations } from '../delivery/destination-metrics.ts';
import { unsafeSettings } from '../config/unsafe-settings.ts';
import { adoptIfIndexed } from '../callback/adopt-indexed.ts';
import { registerDestinationRoutes } from '../http/delivery/destination-routes.ts';
import type { LookupFunction } from '../destination/guarded-lookup.ts';
import { SchemeSender } from '../delivery/sender.ts';
import { createAccessGuard, createKeyCheck } from '../http/access-guard.ts';
import { registerWxapiRoutes } from '../http/wxapi/wxapi-routes.ts';
import { TokenKeeper } from '../wechat-api/token-keeper.ts';
import { ApiRateGuard } from '../wechat-api/api-rate-guard.ts';
import { WechatApiClient } from '../wechat-api/wechat-api-client.ts';
import { guardOperationsEndpoints } from '../http/operations-access.ts';
import { createProxyTrust, trustedProxyHops } from '../http/client-address.ts';
import { assertUnscoped } from '../http/access-scope.ts';
import { installErrorHandler } from '../http/error-handler.ts';
import { registerSecurityPlugins } from '../http/security-plugins.ts';
import { registerHealthRoutes } from '../http/health-routes.ts';
import { registerOpenApi } from '../http/openapi/openapi.ts';
import { RelayMetrics } from '../metrics/relay-metrics.ts';
import { checkRedisUrl, RelayRedis } from '../redis/relay-redis.ts';
import { RetentionPurger } from '../retention/retention-purger.ts';
import { WechatApps } from '../providers/wechat/wechat-apps.ts';
import { registerWechatRoutes } from '../http/wechat/wechat-routes.ts';
import { registerHookRoutes } from '../http/hooks/hook-routes.ts';
import { registerRegistrationRoutes } from '../http/registration/registration-routes.ts';
import type { RegisterDeps } from '../registration/register-trace.ts';
import { registerReplayRoutes } from '../http/replay/replay-routes.ts';
import { assertDatabaseReachable, openStore } from '../storage/open-store.ts';
import type { RelayStore } from '../storage/relay-store.ts';
import { systemClock, type Clock } from '../time/clock.ts';
import { createTunnelAccess } from '../http/tunnel/tunnel-access.ts';
import { TunnelHub } from '../tunnel/tunnel-hub.ts';
import { registerTunnelMetrics } from '../tunnel/tunnel-metrics.ts';
import { registerTunnelRoutes } from '../http/tunnel/tunnel-routes.ts';
import { TunnelSender } from '../tunnel/tunnel-sender.ts';
import { createRelayLogger } from './relay-logger.ts';

export interface RelayDeps {
  config: RelayConfig;
  /** Defaults to the store DATABASE_URL names. */
  store?: RelayStore;
  clock?: Clock;
  logger?: Logger;
  /** Resolver behind the destination address check; default `dns.lookup` (tests inject one). */
  lookup?: LookupFunction;
  /** How long a call to WeChat's API may take before it is answered 504; default 10 s (tests shorten it). */
  wechatApiTimeoutMs?: number;
  /** The relay cannot go on (its storage broke for good); the caller should stop the process. */
  onFatal?: (error: Error) => void;
}

export interface RelayApp {
  readonly config: RelayConfig;
  readonly server: FastifyInstance;
  readonly store: RelayStore;
  readonly metrics: RelayMetrics;
  readonly worker: DeliveryWorker | undefined;
  readonly sweeper: DeadlineSweeper | undefined;
  /** Listens (when the API role is on) and starts the worker and sweeper; returns the address. */
  start(): Promise<string | undefined>;
  /** Stops accepting, lets attempts in flight finish and be recorded, closes the database. */
  close(): Promise<void>;
}

const RELAY_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** WeChat stops waiting at 5 s; a push that is not stored by then is answered 503. */
const PUSH_STORAGE_DEADLINE_MS = 4000;
/** WeChat answers in well under a second; a call past this is answered 504. */
const WECHAT_API_TIMEOUT_MS = 10_000;

function openRelayStore(config: RelayConfig, logger: Logger, onFatal: ((error: Error) => void) | undefined): RelayStore {
  return openStore(config, {
    holdsSqliteFile: true,
    onPoolError: (error) => logger.warn({ err: error }, 'a pooled database connection broke; the pool opens a new one when needed'),
    onBroken: (error) => {
      // Everything acknowledged is in the database: a restart by the supervisor loses nothing.
      logger.fatal({ err: error }, 'the storage thread stopped; exiting so that the relay is started again');
      onFatal?.(error);
    },
  });
}

/** The team's one WeChat integration: each app with a secret has its token held here. */
function createTokenKeeper(config: RelayConfig, owner: string, timeoutMs: number, deps: { store: RelayStore; clock: Clock; logger: Logger; metrics: RelayMetrics }) {
  const secrets = new Map(config.apps.flatMap((item) => (item.appSecret ? [[item.appId, item.appSecret] as const] : [])));
  const wechatApi = new WechatApiClient(config.wechatApiBase, timeoutMs);
  const keeper = new TokenKeeper({ owner, secrets }, { ...deps, client: wechatApi, logger: deps.logger.child({ component: 'wechat-api' }) });
  return { keeper, wechatApi, holdsTokens: secrets.size > 0 };
}

/** Builds the relay without starting it: HTTP server, worker, sweeper, and close(). */
export async function buildApp(deps: RelayDeps): Promise<RelayApp> {
  const { config } = deps;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createRelayLogger(config.logLevel);
  // Before anything is opened, so a bad value leaves nothing behind.
  if (config.redisUrl) checkRedisUrl(config.redisUrl);
  const store = deps.store ?? openRelayStore(config, logger, deps.onFatal);
  const metrics = new RelayMetrics();
  const owner = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const { keeper, wechatApi, holdsTokens } = createTokenKeeper(config, owner, deps.wechatApiTimeoutMs ?? WECHAT_API_TIMEOUT_MS, { store, clock, logger, metrics });
  // Dev tunnels: listeners connect to this instance's API; its worker carries their deliveries.
  const tunnels = new TunnelHub(
    // Queue wait plus the attempt stays inside the lease (2 × attempt timeout + 1 s): never two claims of one delivery at once.
    { excerptBytes: 1024, pingIntervalMs: config.tunnelPingIntervalMs, maxQueueWaitMs: Math.floor(config.attemptTimeoutMs * 0.8), onListenerReady: () => worker?.wake() },
    logger.child({ component: 'tunnel' }),
  );
  const sender = new SchemeSender(new HttpSender({
    attemptTimeoutMs: config.attemptTimeoutMs,
    destinationRules: { allowedPrefixes: config.allowedDestinations, blockPrivate: config.blockPrivateDestinations },
    lookup: deps.lookup,
  }), { tunnel: new TunnelSender(tunnels, config.attemptTimeoutMs) });
  const health = config.roles.worker ? new DestinationHealth({
    concurrencyPerOrigin: config.destinationConcurrency,
    breakerFailures: config.breakerFailures,
    breakerCooldownMs: config.breakerCooldownMs,
  }) : undefined;
  if (health) watchDestinations(health, metrics);
  const worker: DeliveryWorker | undefined = config.roles.worker ? new DeliveryWorker({
    owner,
    concurrency: config.workerConcurrency,
    // Longer than any attempt can take, with room to record it; then another pass may take over.
    leaseMs: config.deliveryLeaseMs ?? 2 * config.attemptTimeoutMs + 1000,
    pollIntervalMs: config.workerPollIntervalMs,
    policy: {
      scheduleMs: config.retryScheduleMs, retryAfterMaxMs: config.retryAfterMaxMs, jitterRatio: 0.2,
      retryBudgetMs: config.retryBudgetS === undefined ? undefined : config.retryBudgetS * 1000,
    },
    signingSecrets: config.signingSecrets,
    claimScope: () => ({ tunnelNames: tunnels.names(), tunnelWaitEndedAt: clock.now() - config.tunnelMaxWaitS * 1000 }),
  }, { store, sender, clock, logger, metrics, health }) : undefined;
  const redis = config.redisUrl ? new RelayRedis({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }, { store, logger }) : undefined;
  // Without a local worker, another instance's poll picks the delivery up — at once when Redis carries the wake-up.
  const onNewDelivery = () => {
    worker?.wake();
    redis?.publishWake();
  };
  const sweeper = config.roles.sweeper ? new DeadlineSweeper(
    { intervalMs: config.sweepIntervalMs, batchSize: 500 },
    { store, clock, logger, metrics, onNewDeliveries: onNewDelivery, deadlineIndex: redis },
  ) : undefined;
  // Retention rides with the sweeper role: housekeeping, not request serving. 0 days keeps everything.
  const purger = config.roles.sweeper && config.retentionDays > 0 ? new RetentionPurger(
    { retentionDays: config.retentionDays, intervalMs: config.retentionIntervalMs, batchSize: 100, maxBatchesPerPass: 50 },
    { store, clock, logger, metrics },
  ) : undefined;
  const server = await buildHttpServer(config, { store, clock, logger, metrics, onNewDelivery, health, redis, reserveHandoff: () => worker?.reserveHandoff(), keeper, wechatApi });
  await registerTunnelRoutes(server, { hub: tunnels, access: createTunnelAccess({ apiKeys: config.apiKeys, tunnelKeys: config.tunnelKeys, isTrustedProxy: createProxyTrust(config.trustedProxies) }), hasWorker: worker !== undefined });
  registerTunnelMetrics(metrics.registry, tunnels);

  let isClosed = false;
  return {
    config, server, store, metrics, worker, sweeper,
    async start() {
      await assertDatabaseReachable(store, config.databaseUrl);
      if (config.migrateOnStart) await store.migrate();
      await redis?.start(() => worker?.wake());
      const address = config.roles.api ? await server.listen({ port: config.port, host: config.host }) : undefined;
      worker?.start();
      sweeper?.start();
      if (holdsTokens) keeper.start();
      purger?.start();
      return address;
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      // Listeners hear "going away" (1001) and redial; their attempts in flight are recorded as not acknowledged.
      tunnels.closeAll();
      await server.close();
      await Promise.all([worker?.stop(), sweeper?.stop(), purger?.stop()]);
      keeper.stop();
      await sender.close();
      await wechatApi.close();
      await redis?.close();
      await store.close();
    },
  };
}

interface ServerDeps {
  store: RelayStore;
  clock: Clock;
  logger: Logger;
  metrics: RelayMetrics;
  onNewDelivery: () => void;
  /** A slot of this instance's worker for a push's delivery (see DeliveryWorker.reserveHandoff). */
  reserveHandoff: () => Handoff | undefined;
  health: DestinationHealth | undefined;
  redis: RelayRedis | undefined;
  keeper: TokenKeeper;
  wechatApi: WechatApiClient;
}

async function buildHttpServer(config: RelayConfig, deps: ServerDeps): Promise<FastifyInstance> {
  const server: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // The relay logs what matters (push stored, attempt made) itself; a line per request is noise.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.registrationBodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    return503OnClosing: true,
    // Only the operator's own proxies may say whom a request is for (request.ip from X-Forwarded-For).
    trustProxy: trustedProxyHops(config.trustedProxies),
    // Trace ids run to 128 characters, URL-encoded up to three times that.
    routerOptions: { maxParamLength: 512 },
  });
  installErrorHandler(server);
  const proxyTrust = createProxyTrust(config.trustedProxies);
  // Basic credentials too, so the dashboard's pages reach every API they call with the key given once.
  const guard = acceptBasicAsBearer(createAccessGuard(config.apiKeys, config.scopedApiKeys, proxyTrust));
  // Before any route, so that its hook and the OpenAPI document see them all.
  guardOperationsEndpoints(server, config.publicEndpoints, guard);
  await registerOpenApi(server, RELAY_VERSION);
  await registerSecurityPlugins(server);
  const apps = new WechatApps(config.apps, config.defaultAppId);
  registerHealthRoutes(server, deps.store, deps.metrics, deps.redis, unsafeSettings(config), config.apps.some((item) => item.appSecret) ? () => deps.keeper.status() : undefined);
  const { redis } = deps;
  const registration: RegisterDeps = { ...deps, onRegistered: redis ? (trace, now) => void redis.rememberTrace(trace, now) : undefined, defaultTimeoutS: config.callbackTimeoutS, defaultAppId: config.defaultAppId, knownAppIds: config.sources.length === 0 ? apps.ids : new Set([...apps.ids, config.defaultAppId, ...config.sources.map((source) => source.name)]) };
  registerRegistrationRoutes(server, {
    deps: registration,
    guard,
    allowedDestinations: config.allowedDestinations,
    blockPrivateDestinations: config.blockPrivateDestinations,
    rateLimitPerMinute: config.registrationRateLimitPerMinute,
    bodyLimitBytes: config.registrationBodyLimitBytes,
  });
  registerReplayRoutes(server, { ...deps, guard, defaultAppId: config.defaultAppId });
  await registerWxapiRoutes(server, {
    proxy: { keeper: deps.keeper, client: deps.wechatApi, metrics: deps.metrics, logger: deps.logger.child({ component: 'wechat-api' }) },
    keeper: deps.keeper,
    // Across instances when Redis carries the counts; else each instance counts its own.
    rateGuard: new ApiRateGuard(deps.clock, redis),
    guard,
    keyCheck: createKeyCheck(config.apiKeys, config.scopedApiKeys),
    hasKeys: config.apiKeys.length > 0 || config.scopedApiKeys.length > 0,
    isTrustedProxy: proxyTrust,
    registration,
    allowedDestinations: config.allowedDestinations,
    blockPrivateDestinations: config.blockPrivateDestinations,
    defaultAppId: config.defaultAppId,
  });
  registerDestinationRoutes(server, deps.health, guard);
  // Callbacks of every app are listed there: relay-wide administration, not for scoped keys.
  registerCallbackRoutes(server, { store: deps.store, guard: (request) => assertUnscoped(guard(request)) });
  await registerWechatRoutes(server, {
    apps,
    ingest: { ...deps, parkedGraceS: config.parkedGraceS, onParked: redis ? (callback) => void adoptIfIndexed(deps, redis, callback) : undefined },
    bodyLimitBytes: config.pushBodyLimitBytes,
    storageDeadlineMs: PUSH_STORAGE_DEADLINE_MS,
    acceptUnsignedPushes: config.acceptUnsignedPushes,
    isTrustedProxy: proxyTrust,
    timestampWindowS: config.pushTimestampWindowS,
  });
  if (config.sources.length > 0) {
    await registerHookRoutes(server, {
      sources: config.sources,
      ingest: { ...deps, parkedGraceS: config.parkedGraceS, onParked: redis ? (callback) => void adoptIfIndexed(deps, redis, callback) : undefined },
      bodyLimitBytes: config.pushBodyLimitBytes,
      storageDeadlineMs: PUSH_STORAGE_DEADLINE_MS,
    });
  }
  registerAdminReadRoutes(server, {
    store: deps.store, clock: deps.clock, guard,
    // Circuits are kept per origin by this instance's worker (absent without the worker role).
    circuitOf: (destination) => deps.health?.states().find((state) => state.origin === originOf(destination))?.state ?? null,
  });
  await registerDashboard(server, { guard });
  return server;
}
