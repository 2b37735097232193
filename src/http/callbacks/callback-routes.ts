import { iso } from '../iso-time.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RelayError } from '../../errors/relay-error.ts';
import { maskServerUri } from '../../redaction/url-credentials.ts';
import { attemptView } from '../registration/trace-view.ts';
import { type CallbackDetail, type CallbackSummary, type ReadModels } from '../../storage/relay-store.ts';
import { CallbackState } from '../../model/callback-state.ts';

export interface CallbackRouteOptions {
  store: ReadModels;
  guard: (request: FastifyRequest) => void;
}

const MAX_LIMIT = 200;

function summaryView(callback: CallbackSummary): Record<string, unknown> {
  return {
    id: callback.id,
    app_id: callback.appId,
    event: callback.event,
    state: callback.state,
    correlation_id: callback.correlationId,
    received_at: iso(callback.receivedAt),
    duplicates: callback.duplicateCount,
    content_type: callback.contentType,
    body: callback.body,
  };
}

function detailView(callback: CallbackDetail): Record<string, unknown> {
  return {
    ...summaryView(callback),
    deliveries: callback.deliveries.map((delivery) => ({
      id: delivery.id,
      kind: delivery.kind,
      route: delivery.route ?? null,
      destination: maskServerUri(delivery.destination),
      status: delivery.status,
      attempt_count: delivery.attemptCount,
      next_attempt_at: iso(delivery.nextAttemptAt),
    })),
    attempts: callback.attempts.map(attemptView),
  };
}

function parseFilter(query: Record<string, string | undefined>): { appId?: string; state?: CallbackState; limit: number } {
  const states = Object.values(CallbackState) as string[];
  if (query.state !== undefined && !states.includes(query.state)) throw new RelayError('INVALID_FIELD', `state must be one of ${states.join(', ')}`);
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new RelayError('INVALID_FIELD', `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  if (query.app_id !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(query.app_id)) throw new RelayError('INVALID_FIELD', 'app_id must be 1 to 64 letters, digits, _ or -');
  return { appId: query.app_id, state: query.state as CallbackState | undefined, limit };
}

/**
 * `GET /api/callbacks` lists stored pushes (e.g. `?state=unrouted` for events no
 * rule matched); `GET /api/callbacks/<id>` shows one with its routed deliveries.
 */
export function registerCallbackRoutes(app: FastifyInstance, options: CallbackRouteOptions): void {
  const onRequest = async (request: FastifyRequest) => options.guard(request);
  app.get<{ Querystring: Record<string, string | undefined> }>('/api/callbacks', { onRequest }, async (request) => {
    const callbacks = await options.store.listCallbacks(parseFilter(request.query));
    return { callbacks: callbacks.map(summaryView) };
  });
  app.get<{ Params: { id: string } }>('/api/callbacks/:id', { onRequest }, async (request) => {
    const callback = /^[0-9a-f-]{36}$/.test(request.params.id) ? await options.store.getCallback(request.params.id) : undefined;
    if (!callback) throw new RelayError('NOT_FOUND', `no push ${request.params.id} is stored`);
    return detailView(callback);
  });
}
