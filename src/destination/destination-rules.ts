import { isIP } from 'node:net';
import { refusalForAddress, type AddressPolicy } from './address-policy.ts';

export interface DestinationRules extends AddressPolicy {
  /** RELAY_ALLOWED_DESTINATIONS: URL prefixes a destination must start with; empty = any. */
  readonly allowedPrefixes: readonly string[];
}

export type DestinationVerdict =
  | { isAllowed: true }
  | { isAllowed: false; rule: 'scheme' | 'prefix' | 'address' | 'credentials'; reason: string };

/** The host of a URL without IPv6 brackets. */
export const bareHost = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Whether `url` is under `prefix`, judged on the parsed URL rather than the text,
 * so `https://ok.example.com@evil.test/` and `https://ok.example.com.evil.test/`
 * do not pass for the prefix `https://ok.example.com`.
 */
export function isUnderPrefix(url: URL, prefix: string): boolean {
  let base: URL;
  try {
    base = new URL(prefix);
  } catch {
    return false;
  }
  if (url.origin !== base.origin || url.username !== '' || url.password !== '') return false;
  // A prefix with no path beyond "/" covers the whole origin; otherwise the text must continue it.
  return base.pathname === '/' && !prefix.endsWith('/') ? true : url.href.startsWith(base.href);
}

/**
 * The URL-level rules, checked at registration (answered 400) and again before
 * every send (recorded as a refused attempt): scheme, allowlist, credentials and
 * a literal IP host. A hostname's addresses are checked when it is resolved.
 */
export function checkDestination(text: string, rules: DestinationRules): DestinationVerdict {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { isAllowed: false, rule: 'scheme', reason: 'not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { isAllowed: false, rule: 'scheme', reason: `the ${url.protocol.replace(':', '')} scheme is never sent to` };
  if (rules.allowedPrefixes.length > 0 && !rules.allowedPrefixes.some((prefix) => isUnderPrefix(url, prefix))) {
    return { isAllowed: false, rule: 'prefix', reason: 'not under any prefix of RELAY_ALLOWED_DESTINATIONS' };
  }
  if (rules.blockPrivate && (url.username !== '' || url.password !== '')) {
    return { isAllowed: false, rule: 'credentials', reason: 'credentials in the URL are refused with RELAY_BLOCK_PRIVATE_DESTINATIONS' };
  }
  const host = bareHost(url.hostname);
  if (rules.blockPrivate && (host === 'localhost' || host.endsWith('.localhost'))) {
    return { isAllowed: false, rule: 'address', reason: `${host} is a loopback name (RELAY_BLOCK_PRIVATE_DESTINATIONS)` };
  }
  if (isIP(host) !== 0) {
    const refusal = refusalForAddress(host, rules);
    if (refusal) return { isAllowed: false, rule: 'address', reason: `${host} is ${refusal}` };
  }
  return { isAllowed: true };
}
