import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { buildApp, type RelayApp, type RelayDeps } from '../../src/app/build-app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createRelayLogger } from '../../src/app/relay-logger.ts';

export interface TestRelay {
  url: string;
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
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
};

/** Starts a real relay on loopback with its own SQLite file (or DATABASE_URL from `env`). */
export async function startRelay(env: Record<string, string> = {}, deps: Pick<RelayDeps, 'lookup'> = {}): Promise<TestRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-test-'));
  const config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'relay.db')}`, ...TEST_ENV, ...env });
  const app = await buildApp({ config, logger: createRelayLogger(config.logLevel), ...deps });
  const address = await app.start();
  return {
    url: address ?? '',
    app,
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
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
