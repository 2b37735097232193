import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { RelayError } from '../errors/relay-error.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** Digests compare in constant time whatever the key lengths. */
const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Guards the registration and admin APIs: a Bearer key from RELAY_API_KEYS, or,
 * when no keys are configured, a loopback client only.
 */
export function createAccessGuard(apiKeys: readonly string[]): (request: FastifyRequest) => void {
  const keyDigests = apiKeys.map(digest);
  return (request) => {
    if (keyDigests.length === 0) {
      if (LOOPBACK.test(request.socket.remoteAddress ?? '')) return;
      throw new RelayError('FORBIDDEN', 'this API answers loopback clients only until RELAY_API_KEYS is set');
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new RelayError('UNAUTHORIZED', 'send Authorization: Bearer <key> with a key from RELAY_API_KEYS', { 'www-authenticate': 'Bearer' });
    const given = digest(match[1]);
    // Check every key so the time taken does not tell which one was close.
    let isValid = false;
    for (const key of keyDigests) isValid = timingSafeEqual(key, given) || isValid;
    if (!isValid) throw new RelayError('UNAUTHORIZED', 'the API key is not valid', { 'www-authenticate': 'Bearer' });
  };
}
