import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { clientAddressOf, createProxyTrust, isLoopbackClient } from '../../src/http/client-address.ts';

const request = (peer: string, headers: Record<string, string> = {}, ip = peer) =>
  ({ socket: { remoteAddress: peer }, headers, ip }) as unknown as FastifyRequest;

describe('client address behind proxies', () => {
  const none = createProxyTrust([]);
  const local = createProxyTrust(['127.0.0.1', '::1', '10.0.0.0/8']);

  it('takes a direct loopback peer for a local client, in IPv4, IPv6 and IPv4-mapped form', () => {
    for (const peer of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) expect(isLoopbackClient(request(peer), none), peer).toBe(true);
    for (const peer of ['192.0.2.2', '::ffff:192.0.2.2', 'fd00::2', '']) expect(isLoopbackClient(request(peer), none), peer).toBe(false);
  });

  it('never takes a forwarded request for a local one unless the peer is a trusted proxy', () => {
    const forwarded: Array<Record<string, string>> = [{ 'x-forwarded-for': '127.0.0.1' }, { 'x-real-ip': '127.0.0.1' }, { forwarded: 'for=127.0.0.1' }];
    for (const headers of forwarded) {
      expect(isLoopbackClient(request('127.0.0.1', headers), none), JSON.stringify(headers)).toBe(false);
    }
  });

  it('believes a trusted proxy: X-Forwarded-For as Fastify resolved it, else X-Real-IP, else the last Forwarded for=', () => {
    expect(clientAddressOf(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }, '203.0.113.9'), local)).toBe('203.0.113.9');
    expect(clientAddressOf(request('::ffff:10.1.2.3', { 'x-real-ip': ' 198.51.100.7 ' }), local)).toBe('198.51.100.7');
    expect(clientAddressOf(request('::1', { forwarded: 'for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711"' }), local)).toBe('2001:db8:cafe::17');
    expect(isLoopbackClient(request('127.0.0.1', { forwarded: 'for=127.0.0.1' }), local)).toBe(true);
    expect(isLoopbackClient(request('127.0.0.1', { forwarded: 'by=203.0.113.43' }), local)).toBe(false);
    // 192.0.2.2 is not in the list: its headers are not believed.
    expect(clientAddressOf(request('192.0.2.2', { 'x-forwarded-for': '127.0.0.1' }), local)).toBeUndefined();
  });

  it('matches CIDRs and refuses what is not an address', () => {
    expect(local('10.200.0.1')).toBe(true);
    expect(local('::ffff:10.200.0.1')).toBe(true);
    expect(local('11.0.0.1')).toBe(false);
    expect(local('not-an-ip')).toBe(false);
  });
});
