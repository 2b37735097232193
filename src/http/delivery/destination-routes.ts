import { iso } from '../iso-time.ts';
import type { FastifyInstance } from 'fastify';
import type { AccessGuard } from '../access-guard.ts';
import { assertUnscoped } from '../access-scope.ts';
import type { DestinationHealth } from '../../delivery/destination-health.ts';


/** `GET /api/admin/destinations`: each origin's circuit and sends in flight, as this instance sees them. */
export function registerDestinationRoutes(app: FastifyInstance, health: DestinationHealth | undefined, guard: AccessGuard): void {
  app.get('/api/admin/destinations', { onRequest: async (request) => assertUnscoped(guard(request)) }, async () => ({
    // Circuit state is per instance: an instance without the worker role sends nothing.
    destinations: (health?.states() ?? []).map((item) => ({
      origin: item.origin,
      state: item.state,
      in_flight: item.inFlight,
      consecutive_failures: item.consecutiveFailures,
      opened_at: iso(item.openedAt),
      probe_at: iso(item.probeAt),
    })),
  }));
}
