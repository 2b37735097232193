import type { FastifyRequest } from 'fastify';
import { RelayError, isRelayError } from '../../errors/relay-error.ts';

export type Guard = (request: FastifyRequest) => void;

/**
 * A browser cannot put a Bearer key on a page load, but it can answer a Basic
 * challenge and then sends those credentials with every same-origin request.
 * This lets the admin API's own guard check a Basic password as if it were the
 * Bearer key: same keys, same loopback rule, no second way in.
 */
export function acceptBasicAsBearer(guard: Guard): Guard {
  return (request) => {
    const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (match?.[1]) {
      const decoded = Buffer.from(match[1], 'base64').toString('utf8');
      const password = decoded.slice(decoded.indexOf(':') + 1);
      request.headers.authorization = `Bearer ${password}`;
    }
    guard(request);
  };
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
