import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ScopedApiKey } from '../config/config-schema.ts';
import { RelayError } from '../errors/relay-error.ts';
import { isLoopbackClient, type ProxyTrust } from './client-address.ts';

/** Digests compare in constant time whatever the key lengths. */
const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Who is calling: recorded in the audit log and used for scope checks. Never holds the key. */
export interface AccessIdentity {
  /** `key:<id>` for an API key, `loopback` when no keys are configured. */
  readonly actor: string;
  /** Limits of a scoped key; absent = may do anything the API offers. */
  readonly scope?: AccessScope;
}

export interface AccessScope {
  /** App ids the key may use; absent = any. */
  readonly appIds?: readonly string[];
  /** URL prefixes its server_uris must be under; absent = any. */
  readonly destinationPrefixes?: readonly string[];
  /** Paths of WeChat's API it may call through /wxapi, as prefixes; absent = any. */
  readonly apiPaths?: readonly string[];
}

/** A key's public name: the configured id, or a short digest that does not reveal the key. */
export const keyIdOf = (key: string): string => digest(key).toString('hex').slice(0, 12);

const identities = new WeakMap<FastifyRequest, AccessIdentity>();

/** The identity the guard established for this request; throws if the route is unguarded. */
export function identityOf(request: FastifyRequest): AccessIdentity {
  const identity = identities.get(request);
  if (!identity) throw new Error('identityOf() on a request the access guard did not check');
  return identity;
}

/** For a route that establishes its caller another way than the guard (a WeChat SDK's access_token). */
export function rememberIdentity(request: FastifyRequest, identity: AccessIdentity): void {
  identities.set(request, identity);
}

export type AccessGuard = (request: FastifyRequest) => AccessIdentity;

/**
 * Guards the registration and admin APIs: a Bearer key from RELAY_API_KEYS, or,
 * when no keys are configured, a loopback client only (see isLoopbackClient).
 */
export function createAccessGuard(apiKeys: readonly string[], scopedKeys: readonly ScopedApiKey[] = [], isTrustedProxy: ProxyTrust = () => false): AccessGuard {
  const keys = keyTable(apiKeys, scopedKeys);
  return (request) => {
    const identity = identify(request, keys, isTrustedProxy);
    identities.set(request, identity);
    return identity;
  };
}

/**
 * The identity a key given in another place than the Authorization header stands for (a
 * WeChat SDK sends it as its AppSecret); undefined for a wrong key. Same keys, same
 * constant-time comparison as the guard.
 */
export function createKeyCheck(apiKeys: readonly string[], scopedKeys: readonly ScopedApiKey[] = []): (key: string) => AccessIdentity | undefined {
  const keys = keyTable(apiKeys, scopedKeys);
  return (key) => matchKey(keys, key);
}

function keyTable(apiKeys: readonly string[], scopedKeys: readonly ScopedApiKey[]): ReadonlyArray<{ digest: Buffer; identity: AccessIdentity }> {
  return [
    ...apiKeys.map((key) => ({ digest: digest(key), identity: { actor: `key:${keyIdOf(key)}` } as AccessIdentity })),
    ...scopedKeys.map((item) => ({
      digest: item.keySha256 ? Buffer.from(item.keySha256, 'hex') : digest(item.key ?? ''),
      identity: { actor: `key:${item.id}`, scope: { appIds: item.appIds, destinationPrefixes: item.destinationPrefixes, apiPaths: item.apiPaths } } as AccessIdentity,
    })),
  ];
}

function matchKey(keys: ReadonlyArray<{ digest: Buffer; identity: AccessIdentity }>, key: string): AccessIdentity | undefined {
  const given = digest(key);
  // Check every key so the time taken does not tell which one was close.
  let found: AccessIdentity | undefined;
  for (const item of keys) {
    if (timingSafeEqual(item.digest, given)) found ??= item.identity;
  }
  return found;
}

function identify(request: FastifyRequest, keys: ReadonlyArray<{ digest: Buffer; identity: AccessIdentity }>, isTrustedProxy: ProxyTrust): AccessIdentity {
  if (keys.length === 0) {
    if (isLoopbackClient(request, isTrustedProxy)) return { actor: 'loopback' };
    throw new RelayError('UNAUTHORIZED', 'this API answers loopback clients only until RELAY_API_KEYS is set; a request forwarded by a proxy is not a loopback client unless the proxy is in RELAY_TRUSTED_PROXIES', { 'www-authenticate': 'Bearer' });
  }
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw new RelayError('UNAUTHORIZED', 'send Authorization: Bearer <key> with a key from RELAY_API_KEYS or the config file', { 'www-authenticate': 'Bearer' });
  const found = matchKey(keys, match[1]);
  if (!found) throw new RelayError('UNAUTHORIZED', 'the API key is not valid', { 'www-authenticate': 'Bearer' });
  return found;
}
