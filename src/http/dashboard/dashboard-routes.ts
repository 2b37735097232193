import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { challengeBrowsers, type Guard } from './browser-guard.ts';

const PUBLIC_DIR = fileURLToPath(new URL('../../dashboard/public', import.meta.url));

export interface DashboardOptions {
  /** The admin API's guard (accepting Basic, for browsers). */
  guard: Guard;
}

/**
 * The dashboard: plain HTML, CSS and ES modules served as they are (no build
 * step), behind the admin API's guard, with a strict Content Security Policy:
 * scripts from this origin only, no inline script, nothing from elsewhere.
 */
export async function registerDashboard(server: FastifyInstance, options: DashboardOptions): Promise<void> {
  const guard = challengeBrowsers(options.guard);
  await server.register(async (scope) => {
    await scope.register(helmet, {
      global: true,
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      xFrameOptions: { action: 'deny' },
      crossOriginEmbedderPolicy: false,
      // Served over plain HTTP on loopback and private networks as often as over TLS.
      strictTransportSecurity: false,
    });
    scope.addHook('onRequest', async (request) => guard(request));
    scope.addHook('onSend', async (_request, reply) => {
      // The pages show live data; never serve a stale copy.
      reply.header('cache-control', 'no-store');
    });
    await scope.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/dashboard/', index: false, schemaHide: true, cacheControl: false });
    scope.get('/dashboard', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
  });
}
