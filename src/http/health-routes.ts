import type { FastifyInstance } from 'fastify';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import type { RelayStore } from '../storage/relay-store.ts';
import { withTimeout } from '../time/with-timeout.ts';

const READY_TIMEOUT_MS = 2000;

/** `/healthz`: the process is up. `/readyz`: storage answers. `/metrics`: Prometheus text. */
/** The optional Redis as readiness sees it. */
export interface RedisHealth {
  isReady(): boolean;
}

/** `/readyz` is 503 only when the database does not answer; a Redis that is away is reported as degraded (the relay works without it). */
export function registerHealthRoutes(
  app: FastifyInstance, store: Pick<RelayStore, 'dialect' | 'ping' | 'countBacklog'>, metrics: RelayMetrics, redis?: RedisHealth, warnings: readonly string[] = [],
  /** The access_tokens the relay holds, per app (never the token): a failing renewal shows here without failing readiness, since pushes still flow. */
  wechatApi?: () => readonly object[],
): void {
  // Settings that are unsafe outside a developer's machine are shown to every probe, not only in the start log.
  const fixed = warnings.length > 0 ? { warnings } : {};
  const detail = () => (wechatApi ? { ...fixed, wechat_api: wechatApi() } : fixed);
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      await withTimeout(store.ping(), READY_TIMEOUT_MS);
      if (!redis) return { status: 'ready', storage: { dialect: store.dialect, status: 'ok' }, ...detail() };
      const isRedisReady = redis.isReady();
      return { status: isRedisReady ? 'ready' : 'degraded', storage: { dialect: store.dialect, status: 'ok' }, redis: { status: isRedisReady ? 'ok' : 'degraded' }, ...detail() };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check: storage unreachable');
      return reply.code(503).send({
        status: 'unavailable',
        storage: { dialect: store.dialect, status: 'unreachable' },
        ...(redis ? { redis: { status: redis.isReady() ? 'ok' : 'degraded' } } : {}),
        ...detail(),
      });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.render(() => withTimeout(store.countBacklog(), READY_TIMEOUT_MS));
    return reply.type(metrics.contentType).send(text);
  });
}
