import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { maskDatabaseUrl } from '../../src/redaction/url-credentials.ts';

describe('storage and scale-out settings', () => {
  it('reads pool, timeouts, retention, lease and Redis prefix from the environment', () => {
    const config = loadConfig({
      RELAY_DB_POOL_MAX: '20', RELAY_DB_STATEMENT_TIMEOUT_MS: '3000', RELAY_DB_CONNECT_TIMEOUT_MS: '2000',
      RELAY_RETENTION_DAYS: '7', RELAY_RETENTION_INTERVAL_MS: '5000', RELAY_DELIVERY_LEASE_MS: '60000',
      REDIS_URL: 'redis://127.0.0.1:6379/2', RELAY_REDIS_KEY_PREFIX: 'relay-a:',
    });
    expect(config).toMatchObject({
      dbPoolMax: 20, dbStatementTimeoutMs: 3000, dbConnectTimeoutMs: 2000, retentionDays: 7,
      retentionIntervalMs: 5000, deliveryLeaseMs: 60000, redisUrl: 'redis://127.0.0.1:6379/2', redisKeyPrefix: 'relay-a:',
    });
  });

  it('has production defaults', () => {
    expect(loadConfig({})).toMatchObject({ dbPoolMax: 10, dbStatementTimeoutMs: 10_000, dbConnectTimeoutMs: 5000, retentionDays: 30, redisKeyPrefix: 'callback-relay:' });
  });

  it.each([
    ['RELAY_DB_POOL_MAX', '0'],
    ['RELAY_DB_POOL_MAX', 'many'],
    ['RELAY_DB_STATEMENT_TIMEOUT_MS', '5'],
    ['RELAY_DB_CONNECT_TIMEOUT_MS', '-1'],
    ['RELAY_RETENTION_DAYS', '-1'],
    ['RELAY_RETENTION_DAYS', '1.5'],
    ['RELAY_DELIVERY_LEASE_MS', '100'],
  ])('refuses %s=%s with a message naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(variable);
  });

  it('refuses a lease no longer than the attempt timeout: a slow attempt could be sent twice', () => {
    expect(() => loadConfig({ RELAY_ATTEMPT_TIMEOUT_MS: '15000', RELAY_DELIVERY_LEASE_MS: '15000' })).toThrow(/RELAY_DELIVERY_LEASE_MS/);
  });

  it('masks credentials in database URLs', () => {
    expect(maskDatabaseUrl('postgres://relay:s3cret@db:5432/relay')).toBe('postgres://relay:***@db:5432/relay');
    expect(maskDatabaseUrl('mysql://relay@db/relay?password=s3cret&ssl=true')).toBe('mysql://relay@db/relay?password=***&ssl=true');
  });
});

describe('REDIS_URL', () => {
  it.each([
    ['not a URL', 'localhost:6379'],
    ['another scheme', 'http://:pw-secret@127.0.0.1:6379'],
  ])('refuses %s at build time, naming the variable with the password masked', async (_name, url) => {
    const { buildApp } = await import('../../src/app/build-app.ts');
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', REDIS_URL: url, LOG_LEVEL: 'silent' });
    const error = await buildApp({ config }).then(() => undefined, (caught: unknown) => caught as Error);
    expect(error?.name).toBe('ConfigError');
    expect(error?.message).toContain('REDIS_URL');
    expect(error?.message).not.toContain('pw-secret');
  });
});
