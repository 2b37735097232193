import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RelayConfig } from '../config/config-schema.ts';
import { challengeBrowsers } from './dashboard/browser-guard.ts';

const isDocsRoute = (url: string): boolean => url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');

/**
 * Puts /metrics and the API docs (/docs, /openapi.json) behind the API's guard
 * unless RELAY_PUBLIC_ENDPOINTS names them. A Prometheus scraper then sends the
 * key as a Bearer token; a browser is challenged for it, as on the dashboard.
 * Registered before every route, so that the hook sees the routes added later;
 * with both endpoints public (the default) nothing is added to any request.
 */
export function guardOperationsEndpoints(server: FastifyInstance, publicEndpoints: RelayConfig['publicEndpoints'], guard: (request: FastifyRequest) => unknown): void {
  const isMetricsGuarded = !publicEndpoints.includes('metrics');
  const areDocsGuarded = !publicEndpoints.includes('docs');
  if (!isMetricsGuarded && !areDocsGuarded) return;
  const browserGuard = challengeBrowsers((request) => void guard(request));
  server.addHook('onRequest', async (request) => {
    const url = request.routeOptions.url;
    if (url === undefined) return;
    if (isMetricsGuarded && url === '/metrics') guard(request);
    else if (areDocsGuarded && isDocsRoute(url)) browserGuard(request);
  });
}
