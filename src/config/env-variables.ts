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
  ['RELAY_API_KEYS', 'apiKeys', (_n, text) => list(text)],
  ['RELAY_SIGNING_SECRET', 'signingSecrets', (_n, text) => list(text, /[\s,]+/)],
  ['RELAY_ALLOWED_DESTINATIONS', 'allowedDestinations', (_n, text) => list(text)],
  ['RELAY_BLOCK_PRIVATE_DESTINATIONS', 'blockPrivateDestinations', boolean],
  ['RELAY_ROLES', 'roles', (_n, text) => roles(text)],
  ['RELAY_MIGRATE_ON_START', 'migrateOnStart', boolean],
  ['RELAY_SQLITE_SYNCHRONOUS', 'sqliteSynchronous', (_n, text) => text.trim().toLowerCase()],
  ['RELAY_REGISTRATION_BODY_LIMIT_BYTES', 'registrationBodyLimitBytes', integer],
  ['RELAY_PUSH_BODY_LIMIT_BYTES', 'pushBodyLimitBytes', integer],
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
  if (!appId && !token && !encodingAesKey) return undefined;
  if (!appId && encodingAesKey) throw new ConfigError('WECHAT_APPID must be set with WECHAT_ENCODING_AES_KEY (the appid is checked inside every encrypted push)');
  return { appId: appId || 'default', token, encodingAesKey };
}
