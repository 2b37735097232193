import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { createBackendDatabase, push, register, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { spawnRelay, type RelayProcess } from '../helpers/spawned-relay.ts';
import { currentBackend, dropRedisKeys, SERVICE_URLS } from '../helpers/test-backends.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

/**
 * An API-only instance takes the push; a worker-only instance that would otherwise
 * sleep a whole minute between polls forwards it at once, woken through Redis.
 */
// Several instances need a server database: a SQLite file is held by one relay.
describe.skipIf(currentBackend() === 'sqlite')(`cross-instance wake-ups over Redis on ${currentBackend()}`, () => {
  let database: { url: string; drop(): Promise<void> };
  let api: TestRelay;
  let worker: RelayProcess;
  let business: BusinessServer;
  const redisEnv = { REDIS_URL: SERVICE_URLS.redis, RELAY_REDIS_KEY_PREFIX: `relay-test-wake-${randomBytes(6).toString('hex')}:` };

  beforeAll(async () => {
    database = await createBackendDatabase();
    business = await BusinessServer.start();
    api = await startRelay({ ...redisEnv, DATABASE_URL: database.url, RELAY_ROLES: 'api' });
    worker = await spawnRelay({ ...redisEnv, DATABASE_URL: database.url, RELAY_ROLES: 'worker', RELAY_WORKER_POLL_INTERVAL_MS: '60000', RELAY_MIGRATE_ON_START: 'false' });
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await business?.stop();
    await dropRedisKeys(redisEnv.REDIS_URL, redisEnv.RELAY_REDIS_KEY_PREFIX);
    await database?.drop();
  });

  it('forwards a new callback long before the worker\'s next poll', async () => {
    // Let the worker finish its first (empty) poll and go to sleep for a minute.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await register(api, { trace_id: 'wake-1', server_uri: `${business.url}/wake` })).status).toBe(201);
    const pushedAt = Date.now();
    expect((await push(api, mediaCheckJson('wake-1'))).text).toBe('success');
    // Well inside the minute the worker would otherwise sleep.
    const [request] = await business.waitForRequests(1, 20_000);
    expect(request!.headers['x-relay-trace-id']).toBe('wake-1');
    expect(request!.at - pushedAt).toBeLessThan(20_000);
  });
});
