import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RelayError } from '../errors/relay-error.ts';
import { STORAGE_DEADLINE_MS, withStorageDeadline } from '../storage/storage-deadline.ts';
import { parseRegistration } from './registration-input.ts';
import { registerTrace, type RegisterDeps } from './register-trace.ts';
import { registrationView, traceDetailView } from './trace-view.ts';

export interface RegistrationRouteOptions {
  deps: RegisterDeps;
  guard: (request: FastifyRequest) => void;
  allowedDestinations: readonly string[];
  bodyLimitBytes: number;
}

/** `POST /api/moderate/trace` registers; `GET /api/moderate/trace/<trace_id>` tells its story. */
export function registerRegistrationRoutes(app: FastifyInstance, options: RegistrationRouteOptions): void {
  const { deps, guard } = options;
  app.post('/api/moderate/trace', { bodyLimit: options.bodyLimitBytes, onRequest: async (request) => guard(request) }, async (request, reply) => {
    const input = parseRegistration(request.body, options.allowedDestinations);
    const outcome = await registerTrace(deps, input);
    const created = outcome.kind === 'created';
    return reply.code(created ? 201 : 200).send(registrationView(outcome.trace, created));
  });

  app.get<{ Params: { traceId: string }; Querystring: { app_id?: string } }>(
    '/api/moderate/trace/:traceId',
    { onRequest: async (request) => guard(request) },
    async (request) => {
      const appId = request.query.app_id || deps.defaultAppId;
      // Registration refuses control characters, so no trace has them; PostgreSQL could not even compare a NUL.
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(request.params.traceId + appId)) throw new RelayError('NOT_FOUND', 'no trace with this id is registered');
      const trace = await withStorageDeadline(deps.store.getTrace(appId, request.params.traceId), deps.storageDeadlineMs ?? STORAGE_DEADLINE_MS, deps.logger, 'trace lookup');
      if (!trace) throw new RelayError('NOT_FOUND', `no trace ${request.params.traceId} is registered for app ${appId}`);
      return traceDetailView(trace);
    },
  );
}
