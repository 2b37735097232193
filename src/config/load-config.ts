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
  scopedApiKeys: [],
  signingSecrets: [],
  allowedDestinations: [],
  blockPrivateDestinations: false,
  roles: { api: true, worker: true, sweeper: true },
  migrateOnStart: true,
  sqliteSynchronous: 'full',
  registrationBodyLimitBytes: 16 * 1024,
  pushBodyLimitBytes: 1024 * 1024,
  logLevel: 'info',
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

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
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
  const badPrefixes = [...config.allowedDestinations, ...config.scopedApiKeys.flatMap((item) => item.destinationPrefixes ?? [])].filter((prefix) => !isHttpUrl(prefix));
  if (badPrefixes.length > 0) throw new ConfigError(`RELAY_ALLOWED_DESTINATIONS and destinationPrefixes must be absolute http(s) URL prefixes; not: ${badPrefixes.join(', ')}`);
  const keyless = config.scopedApiKeys.filter((item) => !item.key === !item.keySha256);
  if (keyless.length > 0) throw new ConfigError(`scopedApiKeys: give exactly one of "key" or "keySha256" for ${keyless.map((item) => item.id).join(', ')} in RELAY_CONFIG`);
  return config;
}
