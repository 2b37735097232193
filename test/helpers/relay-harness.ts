import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { buildApp, type RelayApp, type RelayDeps } from '../../src/app/build-app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createRelayLogger } from '../../src/app/relay-logger.ts';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, currentBackend, dropRedisKeys, isRedisRun, SERVICE_URLS } from './test-backends.ts';

export interface TestRelay {
  url: string;
  /** The relay's DATABASE_URL (a fresh database of the current backend unless `env` named one). */
  databaseUrl: string;
  app: RelayApp;
  close(): Promise<void>;
}

/** Fast settings for tests; each can be overridden per test with environment-style names. */
const TEST_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  PORT: '0',
  RELAY_RETRY_SCHEDULE: '100ms,100ms,100ms,100ms',
  RELAY_SWEEP_INTERVAL_MS: '50',
  RELAY_ATTEMPT_TIMEOUT_MS: '2000',
  // Tests share one business server across many failing cases; the breaker is tested on its own.
  RELAY_BREAKER_FAILURES: '0',
  // Most tests push unsigned from loopback; the signature and its absence are tested on their own.
  RELAY_ACCEPT_UNSIGNED_PUSHES: 'true',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
};

/**
 * A fresh database of the backend this run targets (RELAY_TEST_BACKEND): a SQLite
 * file in a temp folder, or a randomly named PostgreSQL/MariaDB database.
 */
export async function createBackendDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const backend = currentBackend();
  if (backend !== 'sqlite') return createTestDatabase(backend);
  const dir = mkdtempSync(join(tmpdir(), 'relay-test-'));
  return { url: `sqlite:${join(dir, 'relay.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts a real relay on loopback with a fresh database of the current backend (or DATABASE_URL from `env`). */
export async function startRelay(env: Record<string, string> = {}, deps: Pick<RelayDeps, 'lookup' | 'clock'> = {}): Promise<TestRelay> {
  const database = env.DATABASE_URL ? undefined : await createBackendDatabase();
  const databaseUrl = env.DATABASE_URL ?? database!.url;
  // In a Redis run every relay gets the machine's Redis, under keys of its own.
  const redisEnv: Record<string, string> = isRedisRun() ? { REDIS_URL: SERVICE_URLS.redis, RELAY_REDIS_KEY_PREFIX: `relay-test-${randomBytes(6).toString('hex')}:` } : {};
  const config = loadConfig({ ...TEST_ENV, RELAY_DB_POOL_MAX: '4', ...redisEnv, ...env, DATABASE_URL: databaseUrl });
  const app = await buildApp({ config, logger: createRelayLogger(config.logLevel), ...deps });
  let address: string | undefined;
  try {
    address = await app.start();
  } catch (error) {
    await app.close().catch(() => undefined);
    await database?.drop();
    throw error;
  }
  return {
    url: address ?? '',
    databaseUrl,
    app,
    async close() {
      await app.close();
      await database?.drop();
      if (redisEnv.REDIS_URL) await dropRedisKeys(redisEnv.REDIS_URL, redisEnv.RELAY_REDIS_KEY_PREFIX!);
    },
  };
}

export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // Tests read whatever JSON the relay answered.
   
  body: any;
  text: string;
}

/** A small HTTP client for tests: sends a body as given, parses JSON answers. */
export async function send(method: 'GET' | 'POST', url: string, body?: string | object, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const isObject = typeof body === 'object';
  const response = await request(url, {
    method,
    headers: isObject ? { 'content-type': 'application/json', ...headers } : headers,
    body: isObject ? JSON.stringify(body) : body,
  });
  const text = await response.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (e.g. WeChat's plain `success`): callers read `text`.
  }
  return { status: response.statusCode, headers: response.headers, body: parsed, text };
}

export const register = (relay: TestRelay, body: object, headers?: Record<string, string>) =>
  send('POST', `${relay.url}/api/moderate/trace`, body, headers);

export const getTrace = (relay: TestRelay, traceId: string, appId?: string) =>
  send('GET', `${relay.url}/api/moderate/trace/${encodeURIComponent(traceId)}${appId ? `?app_id=${appId}` : ''}`);

export const push = (relay: TestRelay, body: string, query: Record<string, string> = {}, path = '/api/wechat', contentType = 'application/json') =>
  send('POST', `${relay.url}${path}?${new URLSearchParams(query).toString()}`, body, { 'content-type': contentType });

/**
 * Environment for a relay run as its own process on this run's backend: a fresh
 * database, and in a Redis run a Redis under keys of its own.
 */
export async function processBackendEnv(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const database = await createBackendDatabase();
  const redisEnv: Record<string, string> = isRedisRun() ? { REDIS_URL: SERVICE_URLS.redis, RELAY_REDIS_KEY_PREFIX: `relay-test-${randomBytes(6).toString('hex')}:` } : {};
  return { env: { DATABASE_URL: database.url, ...redisEnv }, drop: () => database.drop() };
}
