import { readFileSync } from 'node:fs';
import Value from 'typebox/value';
import { DEFAULT_RETRY_SCHEDULE, RelayConfigSchema, UNCONFIGURED_APP_ID, type RelayConfig } from './config-schema.ts';
import { parseSchedule } from './duration.ts';
import { ConfigError, readEnvironment, readWechatEnvironment, VARIABLE_OF_KEY } from './env-variables.ts';

type Env = Record<string, string | undefined>;

export const DEFAULT_CONFIG: Omit<RelayConfig, 'defaultAppId'> = {
  port: 9000,
  host: '0.0.0.0',
  databaseUrl: 'sqlite:data/relay.db',
  apps: [],
  callbackTimeoutS: 1800,
  sweepIntervalMs: 1000,
  retryScheduleMs: parseSchedule(DEFAULT_RETRY_SCHEDULE),
  attemptTimeoutMs: 15_000,
  retryAfterMaxMs: 3_600_000,
  parkedGraceS: 86_400,
  workerConcurrency: 32,
  apiKeys: [],
  signingSecrets: [],
  allowedDestinations: [],
  roles: { api: true, worker: true, sweeper: true },
  migrateOnStart: true,
  sqliteSynchronous: 'full',
  registrationBodyLimitBytes: 16 * 1024,
  pushBodyLimitBytes: 1024 * 1024,
  logLevel: 'info',
  dbPoolMax: 10,
  dbStatementTimeoutMs: 10_000,
  dbConnectTimeoutMs: 5000,
  retentionDays: 30,
  retentionIntervalMs: 60_000,
  redisKeyPrefix: 'callback-relay:',
  workerPollIntervalMs: 1000,
};

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`RELAY_CONFIG: cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the top level must be an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`RELAY_CONFIG: ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

function describeProblem(instancePath: string, message: string, fromFile: boolean): string {
  const key = instancePath.split('/')[1] ?? '';
  const variable = VARIABLE_OF_KEY[key];
  const where = variable ? `${variable} (config key "${key}")` : `config key "${instancePath.slice(1).replaceAll('/', '.') || '(root)'}"`;
  return `${where} ${message}${fromFile && !variable ? ' in RELAY_CONFIG' : ''}`;
}

/**
 * Builds the one validated config object: defaults, then the RELAY_CONFIG file, then
 * the environment. Throws ConfigError with a message that names the bad variable or key.
 */
export function loadConfig(env: Env = process.env): RelayConfig {
  const fromFile = env.RELAY_CONFIG ? readConfigFile(env.RELAY_CONFIG) : {};
  const fromEnv = readEnvironment(env);
  const envApp = readWechatEnvironment(env);
  const fileApps = Array.isArray(fromFile.apps) ? (fromFile.apps as RelayConfig['apps']) : [];
  const apps = envApp ? [withoutUndefined(envApp), ...fileApps.filter((app) => app?.appId !== envApp.appId)] : fileApps;
  const merged = {
    ...DEFAULT_CONFIG,
    ...fromFile,
    ...fromEnv,
    apps,
    defaultAppId: envApp?.appId ?? (fromFile.defaultAppId as string | undefined) ?? apps[0]?.appId ?? UNCONFIGURED_APP_ID,
  };
  const problems = [...Value.Errors(RelayConfigSchema, merged)]
    .filter((problem) => problem.keyword !== 'boolean' || problem.instancePath === '')
    .map((problem) => describeProblem(problem.instancePath, problem.message, env.RELAY_CONFIG !== undefined));
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  - ${[...new Set(problems)].join('\n  - ')}`);
  const config = merged as RelayConfig;
  if (!config.apps.some((app) => app.appId === config.defaultAppId) && config.apps.length > 0) {
    throw new ConfigError(`defaultAppId "${config.defaultAppId}" is not one of the configured apps`);
  }
  if (config.deliveryLeaseMs !== undefined && config.deliveryLeaseMs <= config.attemptTimeoutMs) {
    throw new ConfigError(`RELAY_DELIVERY_LEASE_MS (${config.deliveryLeaseMs}) must be longer than RELAY_ATTEMPT_TIMEOUT_MS (${config.attemptTimeoutMs}), or a slow attempt could be sent twice`);
  }
  return config;
}
