import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RelayError } from '../errors/relay-error.ts';
import { identityOf } from '../http/access-guard.ts';
import { perMinuteLimit } from '../http/security-plugins.ts';
import { assertMayUseApp, assertMayUseDestination } from '../http/access-scope.ts';
import { parseRegistration } from './registration-input.ts';
import { registerTrace, type RegisterDeps } from './register-trace.ts';
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
      const trace = await deps.store.getTrace(appId, request.params.traceId);
      if (!trace) throw new RelayError('NOT_FOUND', `no trace ${request.params.traceId} is registered for app ${appId}`);
      assertMayUseDestination(identity, trace.serverUri);
      return traceDetailView(trace);
    },
  );
}
