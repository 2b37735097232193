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

describe('scoped API keys in the config file', () => {
  it('needs exactly one of key or keySha256, and absolute http(s) prefixes', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { loadConfig } = await import('../../src/config/load-config.ts');
    const dir = mkdtempSync(join(tmpdir(), 'relay-cfg-'));
    const write = (value: object) => {
      const file = join(dir, `c${Math.random()}.json`);
      writeFileSync(file, JSON.stringify(value));
      return { RELAY_CONFIG: file };
    };
    try {
      expect(() => loadConfig(write({ scopedApiKeys: [{ id: 'a' }] }))).toThrow(/exactly one of "key" or "keySha256"/);
      expect(() => loadConfig(write({ scopedApiKeys: [{ id: 'a', key: 'k'.repeat(20), destinationPrefixes: ['a.example.com/'] }] }))).toThrow(/absolute http/);
      expect(() => loadConfig({ RELAY_ALLOWED_DESTINATIONS: 'https://user:pw@a.example.com/' })).toThrow(/RELAY_ALLOWED_DESTINATIONS/);
      const config = loadConfig(write({ scopedApiKeys: [{ id: 'a', key: 'k'.repeat(20), appIds: ['wx1'] }] }));
      expect(config.scopedApiKeys[0]?.appIds).toEqual(['wx1']);
      expect(loadConfig({ RELAY_BLOCK_PRIVATE_DESTINATIONS: 'true' }).blockPrivateDestinations).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('routed destinations in the config file', () => {
  it('must pass the same destination rules at start', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { loadConfig } = await import('../../src/config/load-config.ts');
    const dir = mkdtempSync(join(tmpdir(), 'relay-routes-'));
    const file = join(dir, 'relay.json');
    const withRoute = (destination: string) => {
      writeFileSync(file, JSON.stringify({ apps: [{ appId: 'wx1', routes: [{ name: 'subs', event: 'subscribe', destinations: [destination] }] }] }));
      return { RELAY_CONFIG: file };
    };
    try {
      expect(() => loadConfig(withRoute('http://169.254.169.254/latest'))).toThrow(/route "subs".*metadata/);
      expect(() => loadConfig({ ...withRoute('https://other.example.com/hook'), RELAY_ALLOWED_DESTINATIONS: 'https://ok.example.com/' })).toThrow(/RELAY_ALLOWED_DESTINATIONS/);
      expect(loadConfig({ ...withRoute('https://ok.example.com/hook'), RELAY_ALLOWED_DESTINATIONS: 'https://ok.example.com/' }).apps[0]?.routes).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
