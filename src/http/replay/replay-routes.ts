import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { RelayError } from '../../errors/relay-error.ts';
import { identityOf, type AccessGuard } from '../access-guard.ts';
import { assertMayUseApp, assertMayUseDestination, assertUnscoped, scopedAppIds } from '../access-scope.ts';
import type { RelayMetrics } from '../../metrics/relay-metrics.ts';
import type { Administration, ReadModels } from '../../storage/relay-store.ts';
import type { Clock } from '../../time/clock.ts';
import { parseRedriveRequest } from '../../replay/redrive-input.ts';
import { redriveFailed } from '../../replay/redrive-failed.ts';

export interface ReplayRouteOptions {
  store: Administration & ReadModels;
  clock: Clock;
  logger: Logger;
  metrics: RelayMetrics;
  guard: AccessGuard;
  defaultAppId: string;
  onNewDelivery: () => void;
}

type ReplayRequest = { Params: { traceId: string }; Querystring: { app_id?: string } };

/**
 * `POST /api/moderate/trace/<id>/replay` re-sends one trace's verdict (or timeout
 * notice) as a new delivery; `POST /api/admin/redrive` does it for failed traces in
 * bulk; `GET /api/admin/audit` lists who did what.
 */
export function registerReplayRoutes(app: FastifyInstance, options: ReplayRouteOptions): void {
  const { store, clock, guard } = options;
  const onRequest = async (request: Parameters<AccessGuard>[0]) => { guard(request); };

  app.post<ReplayRequest>('/api/moderate/trace/:traceId/replay', { onRequest, bodyLimit: 1024 }, async (request, reply) => {
    const identity = identityOf(request);
    const { actor } = identity;
    const appId = request.query.app_id || options.defaultAppId;
    const traceId = request.params.traceId;
    assertMayUseApp(identity, appId);
    if (identity.scope?.destinationPrefixes) {
      const known = await store.getTrace(appId, traceId);
      if (known) assertMayUseDestination(identity, known.serverUri);
    }
    const outcome = await store.replayTrace(appId, traceId, actor, clock.now());
    if (outcome.kind === 'not_found') throw new RelayError('NOT_FOUND', `no trace ${traceId} is registered for app ${appId}`);
    if (outcome.kind === 'nothing_to_replay') throw new RelayError('NOTHING_TO_REPLAY', `trace ${traceId} is still pending: it has no verdict and has not timed out`);
    if (outcome.kind === 'busy') throw new RelayError('DELIVERY_IN_PROGRESS', `trace ${traceId} is being delivered right now; replay it once that finishes`);
    options.metrics.replays.inc({ action: 'replay' });
    options.logger.info({ trace_id: traceId, app_id: appId, delivery_id: outcome.deliveryId, kind: outcome.deliveryKind, actor }, 'replay queued');
    options.onNewDelivery();
    return reply.code(202).send({ delivery_id: outcome.deliveryId, kind: outcome.deliveryKind, trace_id: traceId, app_id: appId });
  });

  app.post('/api/admin/redrive', { onRequest, bodyLimit: 4096 }, async (request) => {
    const identity = identityOf(request);
    const { actor } = identity;
    const input = parseRedriveRequest(request.body);
    const filter = {
      appIds: scopedAppIds(identity, input.appId),
      destinationPrefix: input.destinationPrefix,
      // Normalised (origin + "/") so a prefix cannot match a look-alike host in SQL.
      scopePrefixes: identity.scope?.destinationPrefixes?.map((prefix) => new URL(prefix).href),
      since: input.since,
      until: input.until,
    };
    const result = await redriveFailed(options, filter, input.isDryRun, actor);
    if (!input.isDryRun) options.metrics.replays.inc({ action: 'redrive' }, result.redriven);
    options.logger.info({ actor, dry_run: input.isDryRun, ...result }, 'redrive of failed traces');
    return { matched: result.matched, redriven: result.redriven, dry_run: input.isDryRun };
  });

  app.get<{ Querystring: { limit?: string; before?: string } }>('/api/admin/audit', { onRequest }, async (request) => {
    assertUnscoped(identityOf(request));
    const limit = Math.min(Math.max(Number(request.query.limit ?? 100) || 100, 1), 1000);
    const before = request.query.before ? Date.parse(request.query.before) : undefined;
    if (before !== undefined && Number.isNaN(before)) throw new RelayError('INVALID_FIELD', 'before must be an ISO 8601 time');
    const entries = await store.listAudit(limit, before);
    return {
      entries: entries.map((entry) => ({
        at: new Date(entry.at).toISOString(), actor: entry.actor, action: entry.action,
        app_id: entry.appId, trace_id: entry.traceId, delivery_id: entry.deliveryId, detail: entry.detail,
      })),
    };
  });
}
