import ipaddr from 'ipaddr.js';
import type { FastifyRequest } from 'fastify';

/** Headers a proxy uses to say whom it forwards for. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Whether an address is one of the operator's proxies (RELAY_TRUSTED_PROXIES). */
export type ProxyTrust = (address: string) => boolean;

/** Reads `10.0.0.1`, `::1`, `10.0.0.0/8`, `fd00::/8`; throws on anything else. */
export function parseProxyEntry(entry: string): Range {
  const text = entry.trim();
  if (text.includes('/')) return ipaddr.parseCIDR(text);
  const address = ipaddr.parse(text);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** Normalises an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) to IPv4, as sockets report both. */
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  const address = ipaddr.parse(text);
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

export function createProxyTrust(entries: readonly string[]): ProxyTrust {
  const ranges = entries.map(parseProxyEntry).map(([address, bits]): Range => (
    address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? [(address as ipaddr.IPv6).toIPv4Address(), bits - 96] : [address, bits]));
  return (text) => {
    const address = parseAddress(text);
    return address !== undefined && ranges.some((range) => range[0].kind() === address.kind() && address.match(range));
  };
}

/** Fastify's `trustProxy`: false without proxies, else a test of each hop's address. */
export function trustedProxyHops(entries: readonly string[]): false | ((address: string) => boolean) {
  if (entries.length === 0) return false;
  const isTrusted = createProxyTrust(entries);
  return (address) => isTrusted(address);
}

const isLoopbackAddress = (text: string | undefined): boolean => {
  const address = text === undefined ? undefined : parseAddress(text);
  return address?.range() === 'loopback';
};

/**
 * The client address as far as the relay can know it, or undefined when a
 * forwarding header came from someone it does not trust. A proxy on the same
 * host makes every request arrive from 127.0.0.1, so a request that says it was
 * forwarded is never taken for a local client unless a trusted proxy said so.
 */
export function clientAddressOf(request: FastifyRequest, isTrusted: ProxyTrust): string | undefined {
  const peer = request.socket.remoteAddress ?? '';
  const forwarded = FORWARDING_HEADERS.some((name) => request.headers[name] !== undefined);
  if (!forwarded) return peer;
  if (!isTrusted(peer)) return undefined;
  // With trustProxy, Fastify walks X-Forwarded-For from the right past trusted hops.
  if (request.headers['x-forwarded-for'] !== undefined) return request.ip;
  const realIp = request.headers['x-real-ip'];
  if (typeof realIp === 'string') return realIp.trim();
  return lastForwardedFor(request.headers.forwarded);
}

/** The `for=` of the last element of an RFC 7239 `Forwarded` header (the hop nearest the relay). */
function lastForwardedFor(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header ?? '';
  const last = text.split(',').at(-1) ?? '';
  const match = /(?:^|;)\s*for=("?)\[?([^\]";,]+)\]?(?::\d+)?\1/i.exec(last);
  return match?.[2];
}

/** A local client: loopback, and no untrusted word of being forwarded for someone else. */
export function isLoopbackClient(request: FastifyRequest, isTrusted: ProxyTrust): boolean {
  return isLoopbackAddress(clientAddressOf(request, isTrusted));
}
