import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RelayError } from '../errors/relay-error.ts';
import { identityOf } from './access-guard.ts';

/** The bucket a request counts against: its API key (or `loopback`), else its address. */
function rateKeyOf(request: FastifyRequest): string {
  try {
    return identityOf(request).actor;
  } catch {
    return `ip:${request.ip}`;
  }
}

/**
 * Security headers on every answer (the admin pages above all) and the rate
 * limiter, which routes opt into with `config.rateLimit`. Registered before the
 * routes, so both see every route; the limiter runs after the access guard, so
 * it counts per API key, not per address.
 */
export async function registerSecurityPlugins(server: FastifyInstance): Promise<void> {
  await server.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"], frameAncestors: ["'none'"], formAction: ["'self'"], objectSrc: ["'none'"],
        // The relay is often run on plain http (localhost, a private network): upgrading would break its own pages.
        upgradeInsecureRequests: null,
      },
    },
    // The relay is an API and its own admin pages; nothing embeds it cross-origin.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  await server.register(rateLimit, {
    global: false,
    hook: 'onRequest',
    keyGenerator: rateKeyOf,
    errorResponseBuilder: (_request, context) =>
      new RelayError('RATE_LIMITED', `more than ${context.max} requests in the window for this API key; retry in ${context.after}`),
  });
}

/** Route config for a per-key limit of `perMinute` requests; none when 0. */
export function perMinuteLimit(perMinute: number): { rateLimit?: { max: number; timeWindow: number } } {
  return perMinute > 0 ? { rateLimit: { max: perMinute, timeWindow: 60_000 } } : {};
}
