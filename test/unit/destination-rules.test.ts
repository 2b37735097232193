import { describe, expect, it } from 'vitest';
import { refusalForAddress } from '../../src/destination/address-policy.ts';
import { checkDestination } from '../../src/destination/destination-rules.ts';

describe('address policy', () => {
  const always = ['169.254.169.254', '169.254.0.1', '100.100.100.200', 'fd00:ec2::254', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe',
    '::a9fe:a9fe', '64:ff9b::a9fe:a9fe', '64:ff9b:1::a9fe:a9fe', '2002:a9fe:a9fe::1'];
  const privateOnly = ['127.0.0.1', '10.1.2.3', '172.16.5.4', '192.168.0.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
    '192.0.2.1', '198.18.0.1', '240.0.0.1', '::1', '::', 'fe80::1', 'fd12:3456::1', 'ff02::1', '2001:db8::1', '::ffff:10.0.0.1', '64:ff9b::a00:1', '2002:c0a8:101::1'];
  const publicOnes = ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '64:ff9b::808:808', '::ffff:8.8.8.8'];

  it.each(always)('refuses %s, a metadata address, whatever the settings', (ip) => {
    expect(refusalForAddress(ip, { blockPrivate: false })).toContain('metadata');
    expect(refusalForAddress(ip, { blockPrivate: true })).toContain('metadata');
  });
  it.each(privateOnly)('refuses %s only when private destinations are blocked', (ip) => {
    expect(refusalForAddress(ip, { blockPrivate: false })).toBeUndefined();
    expect(refusalForAddress(ip, { blockPrivate: true })).toBeDefined();
  });
  it.each(publicOnes)('allows %s, a public address', (ip) => {
    expect(refusalForAddress(ip, { blockPrivate: true })).toBeUndefined();
  });
});

describe('destination rules', () => {
  const rules = { allowedPrefixes: ['https://hooks.example.com/wx/', 'https://api.example.org'], blockPrivate: false };
  it('judges prefixes on the parsed URL, so look-alike hosts and userinfo tricks fail', () => {
    expect(checkDestination('https://hooks.example.com/wx/cb', rules).isAllowed).toBe(true);
    expect(checkDestination('https://api.example.org/any/path', rules).isAllowed).toBe(true);
    for (const uri of ['https://api.example.org.evil.test/', 'https://api.example.org@evil.test/', 'https://hooks.example.com/other',
      'http://hooks.example.com/wx/cb', 'https://hooks.example.com:8443/wx/cb', 'https://user:pw@hooks.example.com/wx/cb']) {
      expect(checkDestination(uri, rules), uri).toMatchObject({ isAllowed: false, rule: 'prefix' });
    }
  });
  it('refuses schemes other than http(s), and credentials when private destinations are blocked', () => {
    expect(checkDestination('gopher://x/', { allowedPrefixes: [], blockPrivate: false })).toMatchObject({ rule: 'scheme' });
    expect(checkDestination('https://u:p@example.com/', { allowedPrefixes: [], blockPrivate: false }).isAllowed).toBe(true);
    expect(checkDestination('https://u:p@example.com/', { allowedPrefixes: [], blockPrivate: true })).toMatchObject({ rule: 'credentials' });
  });
});
