import ipaddr from 'ipaddr.js';

/** Cloud instance-metadata endpoints: credentials live there, so they are refused whatever the settings. */
const METADATA_V6 = ['fd00:ec2::254'];
/** 169.254.0.0/16 holds AWS, GCP, Azure, Oracle and Tencent metadata; Alibaba Cloud's sits at 100.100.100.200. */
const METADATA_V4_SINGLE = ['100.100.100.200'];

export interface AddressPolicy {
  /** Also refuse loopback, private, link-local, ULA, CGNAT, multicast, documentation and other non-public ranges. */
  readonly blockPrivate: boolean;
}

/**
 * The IPv4 address an IPv6 address stands for, when it is only a wrapper:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible, NAT64 (64:ff9b::/96 and
 * 64:ff9b:1::/48) or 6to4 (2002:AABB:CCDD::/48). Undefined for a real IPv6 address.
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = address.range();
  const bytes = address.toByteArray();
  if (range === 'ipv4Mapped') return address.toIPv4Address();
  if (range === 'rfc6052' || range === 'rfc6145' || (range === 'unspecified' && !bytes.every((byte) => byte === 0))) {
    return new ipaddr.IPv4(bytes.slice(12, 16));
  }
  // ::a.b.c.d (deprecated IPv4-compatible) still reaches a.b.c.d on some stacks.
  if (bytes.slice(0, 12).every((byte) => byte === 0) && !bytes.slice(12).every((byte) => byte === 0) && range !== 'loopback') {
    return new ipaddr.IPv4(bytes.slice(12, 16));
  }
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  return undefined;
}

function metadataReason(address: ipaddr.IPv4 | ipaddr.IPv6): string | undefined {
  if (address.kind() === 'ipv4') {
    const v4 = address as ipaddr.IPv4;
    if (v4.range() === 'linkLocal' || METADATA_V4_SINGLE.includes(v4.toString())) return 'a cloud metadata address';
    return undefined;
  }
  if (METADATA_V6.some((item) => ipaddr.parse(item).toString() === address.toString())) return 'a cloud metadata address';
  return undefined;
}

/**
 * Why the relay must not connect to `ip`, or undefined when it may. Wrapped IPv4
 * forms are judged by the IPv4 address they reach, so ::ffff:169.254.169.254 and
 * 64:ff9b::a9fe:a9fe are refused like 169.254.169.254.
 */
export function refusalForAddress(ip: string, policy: AddressPolicy): string | undefined {
  if (!ipaddr.isValid(ip)) return 'not an IP address';
  let address: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(ip);
  if (address.kind() === 'ipv6') address = embeddedIPv4(address as ipaddr.IPv6) ?? address;
  const metadata = metadataReason(address);
  if (metadata) return metadata;
  if (!policy.blockPrivate) return undefined;
  const range = address.range();
  return range === 'unicast' ? undefined : `a ${range} address (RELAY_BLOCK_PRIVATE_DESTINATIONS)`;
}
