import { parseSchedule } from './duration.ts';
import type { RelayConfig } from './config-schema.ts';

type Env = Record<string, string | undefined>;
type Partial = Record<string, unknown>;

/** A value from the environment that could not be read; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const list = (text: string, separator: RegExp = /,/): string[] =>
  text.split(separator).map((item) => item.trim()).filter((item) => item.length > 0);

function integer(name: string, text: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new ConfigError(`${name} must be a whole number, got "${text}"`);
  return Number(text);
}

function boolean(name: string, text: string): boolean {
  const value = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${text}"`);
}

function roles(text: string): RelayConfig['roles'] {
  const names = list(text);
  const unknown = names.filter((name) => !['api', 'worker', 'sweeper'].includes(name));
  if (unknown.length > 0) throw new ConfigError(`RELAY_ROLES may list api, worker, sweeper; unknown: ${unknown.join(', ')}`);
  return { api: names.includes('api'), worker: names.includes('worker'), sweeper: names.includes('sweeper') };
}

/** `alice:<key>,bob:<key>`: each key opens only the tunnel of its name. */
function tunnelKeys(name: string, text: string): RelayConfig['tunnelKeys'] {
  return list(text).map((item) => {
    const colon = item.indexOf(':');
    if (colon <= 0) throw new ConfigError(`${name} must list <tunnel-name>:<key> pairs, comma-separated`);
    return { name: item.slice(0, colon).trim(), key: item.slice(colon + 1).trim() };
  });
}

/** Each variable with the config key it sets and how its text is read. */
const VARIABLES: ReadonlyArray<[string, keyof RelayConfig, (name: string, text: string) => unknown]> = [
  ['PORT', 'port', integer],
  ['HOST', 'host', (_n, text) => text],
  ['DATABASE_URL', 'databaseUrl', (_n, text) => text],
  ['REDIS_URL', 'redisUrl', (_n, text) => text],
  ['RELAY_CALLBACK_TIMEOUT_S', 'callbackTimeoutS', integer],
  ['RELAY_SWEEP_INTERVAL_MS', 'sweepIntervalMs', integer],
  ['RELAY_RETRY_SCHEDULE', 'retryScheduleMs', (name, text) => {
    try {
      return parseSchedule(text);
    } catch (error) {
      throw new ConfigError(`${name}: ${(error as Error).message}`);
    }
  }],
  ['RELAY_ATTEMPT_TIMEOUT_MS', 'attemptTimeoutMs', integer],
  ['RELAY_RETRY_AFTER_MAX_MS', 'retryAfterMaxMs', integer],
  ['RELAY_PARKED_GRACE_S', 'parkedGraceS', integer],
  ['RELAY_WORKER_CONCURRENCY', 'workerConcurrency', integer],
  ['RELAY_DESTINATION_CONCURRENCY', 'destinationConcurrency', integer],
  ['RELAY_BREAKER_FAILURES', 'breakerFailures', integer],
  ['RELAY_BREAKER_COOLDOWN_MS', 'breakerCooldownMs', integer],
  ['RELAY_RETRY_BUDGET_S', 'retryBudgetS', integer],
  ['RELAY_API_KEYS', 'apiKeys', (_n, text) => list(text)],
  ['RELAY_SIGNING_SECRET', 'signingSecrets', (_n, text) => list(text, /[\s,]+/)],
  ['RELAY_ALLOWED_DESTINATIONS', 'allowedDestinations', (_n, text) => list(text)],
  ['RELAY_BLOCK_PRIVATE_DESTINATIONS', 'blockPrivateDestinations', boolean],
  ['RELAY_ROLES', 'roles', (_n, text) => roles(text)],
  ['RELAY_MIGRATE_ON_START', 'migrateOnStart', boolean],
  ['RELAY_SQLITE_SYNCHRONOUS', 'sqliteSynchronous', (_n, text) => text.trim().toLowerCase()],
  ['RELAY_REGISTRATION_RATE_LIMIT', 'registrationRateLimitPerMinute', integer],
  ['RELAY_REQUEST_TIMEOUT_MS', 'requestTimeoutMs', integer],
  ['RELAY_REGISTRATION_BODY_LIMIT_BYTES', 'registrationBodyLimitBytes', integer],
  ['RELAY_PUSH_BODY_LIMIT_BYTES', 'pushBodyLimitBytes', integer],
  ['RELAY_TUNNEL_KEYS', 'tunnelKeys', tunnelKeys],
  ['RELAY_TUNNEL_MAX_WAIT_S', 'tunnelMaxWaitS', integer],
  ['RELAY_TUNNEL_PING_INTERVAL_MS', 'tunnelPingIntervalMs', integer],
  ['RELAY_DB_POOL_MAX', 'dbPoolMax', integer],
  ['RELAY_DB_STATEMENT_TIMEOUT_MS', 'dbStatementTimeoutMs', integer],
  ['RELAY_DB_CONNECT_TIMEOUT_MS', 'dbConnectTimeoutMs', integer],
  ['RELAY_RETENTION_DAYS', 'retentionDays', integer],
  ['RELAY_RETENTION_INTERVAL_MS', 'retentionIntervalMs', integer],
  ['RELAY_DELIVERY_LEASE_MS', 'deliveryLeaseMs', integer],
  ['RELAY_WORKER_POLL_INTERVAL_MS', 'workerPollIntervalMs', integer],
  ['RELAY_REDIS_KEY_PREFIX', 'redisKeyPrefix', (_n, text) => text.trim()],
  ['RELAY_TRUSTED_PROXIES', 'trustedProxies', (_n, text) => list(text)],
  ['RELAY_ACCEPT_UNSIGNED_PUSHES', 'acceptUnsignedPushes', boolean],
  // `none` (or empty) keeps every operations endpoint behind the key.
  ['RELAY_PUBLIC_ENDPOINTS', 'publicEndpoints', (_n, text) => list(text).map((item) => item.toLowerCase()).filter((item) => item !== 'none')],
  ['RELAY_PUSH_TIMESTAMP_WINDOW_S', 'pushTimestampWindowS', integer],
  ['WECHAT_API_BASE', 'wechatApiBase', (_n, text) => text.trim().replace(/\/+$/, '')],
  ['LOG_LEVEL', 'logLevel', (_n, text) => text.trim().toLowerCase()],
];

/** Maps config keys back to the variable that sets them, so validation errors can name it. */
export const VARIABLE_OF_KEY: Readonly<Record<string, string>> = Object.fromEntries(
  VARIABLES.map(([variable, key]) => [key, variable]),
);

/** Reads the environment into a partial config; unset or empty variables are skipped. */
export function readEnvironment(env: Env): Partial {
  const result: Partial = {};
  for (const [variable, key, read] of VARIABLES) {
    const text = env[variable];
    if (text === undefined || text.trim() === '') continue;
    result[key] = read(variable, text);
  }
  return result;
}

/** The WECHAT_* variables describe the one common-case app. */
export function readWechatEnvironment(env: Env): RelayConfig['apps'][number] | undefined {
  const appId = env.WECHAT_APPID?.trim();
  const token = env.WECHAT_TOKEN?.trim() || undefined;
  const encodingAesKey = env.WECHAT_ENCODING_AES_KEY?.trim() || undefined;
  const format = oneOf('WECHAT_FORMAT', env.WECHAT_FORMAT, ['json', 'xml'] as const);
  const mode = oneOf('WECHAT_MODE', env.WECHAT_MODE, ['plain', 'compatible', 'safe'] as const);
  const appSecret = env.WECHAT_APP_SECRET?.trim() || undefined;
  if (!appId && !token && !encodingAesKey && !appSecret) return undefined;
  if (!appId && appSecret) throw new ConfigError('WECHAT_APPID must be set with WECHAT_APP_SECRET (the token is fetched for that appid)');
  if (!appId && encodingAesKey) throw new ConfigError('WECHAT_APPID must be set with WECHAT_ENCODING_AES_KEY (the appid is checked inside every encrypted push)');
  return { appId: appId || 'default', token, encodingAesKey, format, mode, appSecret };
}

function oneOf<T extends string>(name: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  const value = text?.trim().toLowerCase();
  if (!value) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  return value as T;
}
