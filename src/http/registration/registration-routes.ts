import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RelayError } from '../../errors/relay-error.ts';
import { identityOf } from '../access-guard.ts';
import { perMinuteLimit } from '../security-plugins.ts';
import { assertMayUseApp, assertMayUseDestination } from '../access-scope.ts';
import { STORAGE_DEADLINE_MS, withStorageDeadline } from '../../storage/storage-deadline.ts';
import { parseRegistration } from '../../registration/registration-input.ts';
import { registerTrace, type RegisterDeps } from '../../registration/register-trace.ts';
import { registrationView, traceDetailView } from './trace-view.ts';

export interface RegistrationRouteOptions {
  deps: RegisterDeps;
  guard: (request: FastifyRequest) => unknown;
  allowedDestinations: readonly string[];
  /** Registrations per minute per API key (RELAY_REGISTRATION_RATE_LIMIT); 0 or absent = no limit. */
  rateLimitPerMinute?: number;
  /** RELAY_BLOCK_PRIVATE_DESTINATIONS: refuse non-public literal addresses and URL credentials. */
  blockPrivateDestinations?: boolean;
  bodyLimitBytes: number;
}

/** `POST /api/moderate/trace` registers; `GET /api/moderate/trace/<trace_id>` tells its story. */
export function registerRegistrationRoutes(app: FastifyInstance, options: RegistrationRouteOptions): void {
  const { deps, guard } = options;
  app.post('/api/moderate/trace', {
    bodyLimit: options.bodyLimitBytes,
    onRequest: async (request) => { guard(request); },
    config: perMinuteLimit(options.rateLimitPerMinute ?? 0),
  }, async (request, reply) => {
    const input = parseRegistration(request.body, options.allowedDestinations, options.blockPrivateDestinations);
    const identity = identityOf(request);
    assertMayUseApp(identity, input.appId ?? deps.defaultAppId);
    assertMayUseDestination(identity, input.serverUri);
    const outcome = await registerTrace(deps, input);
    const created = outcome.kind === 'created';
    return reply.code(created ? 201 : 200).send(registrationView(outcome.trace, created));
  });

  app.get<{ Params: { traceId: string }; Querystring: { app_id?: string } }>(
    '/api/moderate/trace/:traceId',
    { onRequest: async (request) => guard(request) },
    async (request) => {
      const appId = request.query.app_id || deps.defaultAppId;
      const identity = identityOf(request);
      assertMayUseApp(identity, appId);
      // Registration refuses control characters, so no trace has them; PostgreSQL could not even compare a NUL.
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(request.params.traceId + appId)) throw new RelayError('NOT_FOUND', 'no trace with this id is registered');
      const trace = await withStorageDeadline(deps.store.getTrace(appId, request.params.traceId), deps.storageDeadlineMs ?? STORAGE_DEADLINE_MS, deps.logger, 'trace lookup');
      if (!trace) throw new RelayError('NOT_FOUND', `no trace ${request.params.traceId} is registered for app ${appId}`);
      assertMayUseDestination(identity, trace.serverUri);
      return traceDetailView(trace);
    },
  );
}
