import { describe, expect, it } from 'vitest';
import { formatDuration, parseDurationMs, parseSchedule } from '../../src/config/duration.ts';
import { loadConfig } from '../../src/config/load-config.ts';

describe('durations', () => {
  it('reads ms, s, m and h', () => {
    expect(parseDurationMs('300ms')).toBe(300);
    expect(parseDurationMs('5s')).toBe(5000);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('1.5h')).toBe(5_400_000);
    expect(parseDurationMs('5')).toBeUndefined();
    expect(parseDurationMs('-5s')).toBeUndefined();
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(1500)).toBe('1500ms');
  });

  it('reads a schedule and names a bad entry', () => {
    expect(parseSchedule('300ms, 300ms,1s')).toEqual([300, 300, 1000]);
    expect(() => parseSchedule('5s,soon')).toThrow(/"soon"/);
    expect(() => parseSchedule(' , ')).toThrow(/at least one/);
  });
});

describe('configuration', () => {
  it('has defaults that match the contract', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 9000, host: '0.0.0.0', databaseUrl: 'sqlite:data/relay.db', callbackTimeoutS: 1800, apiKeys: [], allowedDestinations: [] });
    expect(config.sweepIntervalMs).toBeLessThanOrEqual(1000);
    expect(config.retryScheduleMs.reduce((sum, delay) => sum + delay, 0)).toBeGreaterThanOrEqual(24 * 3_600_000);
  });

  it('reads the contract variables', () => {
    const config = loadConfig({
      PORT: '9100', HOST: '127.0.0.1', DATABASE_URL: 'sqlite::memory:', RELAY_CALLBACK_TIMEOUT_S: '60', RELAY_SWEEP_INTERVAL_MS: '200',
      RELAY_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms', RELAY_API_KEYS: 'aaaaaaaa1, bbbbbbbb2', RELAY_SIGNING_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_AAAA',
      RELAY_ALLOWED_DESTINATIONS: 'https://a.example/,https://b.example/', WECHAT_APPID: 'wx1', WECHAT_TOKEN: 'tok',
    });
    expect(config).toMatchObject({
      port: 9100, host: '127.0.0.1', databaseUrl: 'sqlite::memory:', callbackTimeoutS: 60, sweepIntervalMs: 200,
      retryScheduleMs: [300, 300, 300, 300], apiKeys: ['aaaaaaaa1', 'bbbbbbbb2'], allowedDestinations: ['https://a.example/', 'https://b.example/'],
      apps: [{ appId: 'wx1', token: 'tok' }], defaultAppId: 'wx1',
    });
    expect(config.signingSecrets).toHaveLength(2);
  });

  it('stops on a bad value with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'ninety' })).toThrow(/PORT/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ RELAY_RETRY_SCHEDULE: '5s,forever' })).toThrow(/RELAY_RETRY_SCHEDULE/);
    expect(() => loadConfig({ RELAY_SIGNING_SECRET: 'not-a-secret' })).toThrow(/RELAY_SIGNING_SECRET/);
    expect(() => loadConfig({ RELAY_SWEEP_INTERVAL_MS: '0' })).toThrow(/RELAY_SWEEP_INTERVAL_MS/);
    expect(() => loadConfig({ RELAY_ROLES: 'api,cook' })).toThrow(/RELAY_ROLES/);
    expect(() => loadConfig({ WECHAT_ENCODING_AES_KEY: 'x'.repeat(43) })).toThrow(/WECHAT_APPID/);
    expect(() => loadConfig({ RELAY_CONFIG: '/nonexistent/relay.json' })).toThrow(/RELAY_CONFIG/);
    expect(() => loadConfig({ RELAY_PUBLIC_ENDPOINTS: 'metrics,dashboard' })).toThrow(/RELAY_PUBLIC_ENDPOINTS/);
  });

  it('keeps /metrics and the docs public by default, and behind the key when RELAY_PUBLIC_ENDPOINTS leaves them out', () => {
    expect(loadConfig({}).publicEndpoints).toEqual(['metrics', 'docs']);
    expect(loadConfig({ RELAY_PUBLIC_ENDPOINTS: 'Metrics' }).publicEndpoints).toEqual(['metrics']);
    expect(loadConfig({ RELAY_PUBLIC_ENDPOINTS: 'none' }).publicEndpoints).toEqual([]);
  });
});
