import type { FastifyRequest } from 'fastify';
import { RelayError, isRelayError } from '../../errors/relay-error.ts';

export type Guard = (request: FastifyRequest) => void;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser cannot put a Bearer key on a page load, but it can answer a Basic
 * challenge and then sends those credentials with every same-origin request.
 * This lets the API's own guard check a Basic password as if it were the Bearer
 * key, on every route it guards (the dashboard's pages call the admin, trace and
 * replay APIs): same keys, same scopes, same loopback rule, no second way in.
 *
 * A browser also sends those credentials with a request another site's page makes
 * (cross-site request forgery), which a Bearer key never rides on. So a change
 * (any method but GET, HEAD and OPTIONS) sent with Basic credentials must come from the
 * relay's own pages: `Sec-Fetch-Site: same-origin`, or, from a browser that does
 * not send it, an `Origin` of this host. Tools that send Basic (curl -u) send
 * neither header and are not browsers: they pass.
 */
export function acceptBasicAsBearer<T>(guard: (request: FastifyRequest) => T): (request: FastifyRequest) => T {
  return (request) => {
    const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (match?.[1]) {
      const decoded = Buffer.from(match[1], 'base64').toString('utf8');
      const password = decoded.slice(decoded.indexOf(':') + 1);
      request.headers.authorization = `Bearer ${password}`;
      if (!SAFE_METHODS.has(request.method) && isFromAnotherSite(request)) {
        throw new RelayError('CROSS_ORIGIN_REFUSED', 'this change came from another site\'s page with the browser\'s saved credentials; send it from the relay\'s dashboard, or with Authorization: Bearer <key>');
      }
    }
    return guard(request);
  };
}

function isFromAnotherSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

/** For page loads: a refused key gets a Basic challenge, so the browser asks for it. */
export function challengeBrowsers(guard: Guard): Guard {
  return (request) => {
    try {
      guard(request);
    } catch (error) {
      if (isRelayError(error) && error.code === 'UNAUTHORIZED') {
        throw new RelayError('UNAUTHORIZED', error.message, { 'www-authenticate': 'Basic realm="callback-relay", charset="UTF-8"' });
      }
      throw error;
    }
  };
}
