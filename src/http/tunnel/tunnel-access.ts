import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { RelayError } from '../../errors/relay-error.ts';
import { isLoopbackClient, type ProxyTrust } from '../client-address.ts';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

export interface TunnelAccessOptions {
  /** RELAY_API_KEYS: may open a tunnel of any name. */
  apiKeys: readonly string[];
  /** RELAY_TUNNEL_KEYS: each may open only its own name. */
  tunnelKeys: ReadonlyArray<{ name: string; key: string }>;
  /** RELAY_TRUSTED_PROXIES, for telling a local listener from one forwarded by a proxy. */
  isTrustedProxy: ProxyTrust;
}

/**
 * Decides, before the WebSocket upgrade, whether a listener may open tunnel `name`:
 * without any key configured, loopback clients only (as the registration API);
 * otherwise a Bearer key that is either an API key or the tunnel key of that name.
 */
export function createTunnelAccess(options: TunnelAccessOptions): (request: FastifyRequest, name: string) => void {
  const anyName = options.apiKeys.map(digest);
  const scoped = options.tunnelKeys.map((entry) => ({ name: entry.name, digest: digest(entry.key) }));
  return (request, name) => {
    if (anyName.length === 0 && scoped.length === 0) {
      if (isLoopbackClient(request, options.isTrustedProxy)) return;
      throw new RelayError('UNAUTHORIZED', 'tunnels answer loopback clients only until RELAY_API_KEYS or RELAY_TUNNEL_KEYS is set; a request forwarded by a proxy is not a loopback client unless the proxy is in RELAY_TRUSTED_PROXIES', { 'www-authenticate': 'Bearer' });
    }
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match?.[1]) throw new RelayError('UNAUTHORIZED', 'send Authorization: Bearer <key> (callback-relay listen --key)', { 'www-authenticate': 'Bearer' });
    const given = digest(match[1]);
    // Compare with every key so the time taken tells nothing about which one was close.
    let isAnyName = false;
    const names = new Set<string>();
    for (const key of anyName) isAnyName = timingSafeEqual(key, given) || isAnyName;
    for (const entry of scoped) if (timingSafeEqual(entry.digest, given)) names.add(entry.name);
    if (isAnyName || names.has(name)) return;
    if (names.size > 0) throw new RelayError('TUNNEL_NAME_FORBIDDEN', `this key may not open tunnel ${name}`);
    throw new RelayError('UNAUTHORIZED', 'the API key is not valid', { 'www-authenticate': 'Bearer' });
  };
}
