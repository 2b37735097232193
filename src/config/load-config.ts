import { checkDestination } from '../destination/destination-rules.ts';
import { maskServerUri } from '../redaction/url-credentials.ts';
import { readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { parse as parseYaml } from 'yaml';
import Value from 'typebox/value';
import { DEFAULT_RETRY_SCHEDULE, RelayConfigSchema, UNCONFIGURED_APP_ID, type RelayConfig } from './config-schema.ts';
import { parseSchedule } from './duration.ts';
import { ConfigError, readEnvironment, readWechatEnvironment, VARIABLE_OF_KEY } from './env-variables.ts';
import { checkWechatApps } from './wechat-app-checks.ts';
import { checkSources } from './source-checks.ts';

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
  workerConcurrency: 64,
  destinationConcurrency: 32,
  breakerFailures: 5,
  breakerCooldownMs: 10_000,
  apiKeys: [],
  scopedApiKeys: [],
  signingSecrets: [],
  allowedDestinations: [],
  blockPrivateDestinations: false,
  roles: { api: true, worker: true, sweeper: true },
  migrateOnStart: true,
  sqliteSynchronous: 'full',
  registrationRateLimitPerMinute: 3000,
  requestTimeoutMs: 30_000,
  registrationBodyLimitBytes: 16 * 1024,
  pushBodyLimitBytes: 1024 * 1024,
  wechatApiBase: 'https://api.weixin.qq.com',
  sources: [],
  logLevel: 'info',
  tunnelKeys: [],
  tunnelMaxWaitS: 86_400,
  tunnelPingIntervalMs: 15_000,
  dbPoolMax: 10,
  dbStatementTimeoutMs: 10_000,
  dbConnectTimeoutMs: 5000,
  retentionDays: 30,
  retentionIntervalMs: 60_000,
  redisKeyPrefix: 'callback-relay:',
  workerPollIntervalMs: 1000,
  trustedProxies: [],
  acceptUnsignedPushes: false,
  publicEndpoints: ['metrics', 'docs'],
  pushTimestampWindowS: 300,
};

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`RELAY_CONFIG: cannot read ${path}: ${(error as Error).message}`);
  }
  // YAML is a superset of JSON, but a .json file keeps JSON's stricter errors.
  const isJson = path.toLowerCase().endsWith('.json');
  try {
    const parsed: unknown = isJson ? JSON.parse(text) : parseYaml(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the top level must be an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`RELAY_CONFIG: ${path} is not valid ${isJson ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
}

/**
 * Routed destinations come from the operator, not from callers, yet the sender
 * applies the same destination rules to them: refuse at start, not at every send.
 */
function checkRouteDestinations(config: RelayConfig): void {
  const rules = { allowedPrefixes: config.allowedDestinations, blockPrivate: config.blockPrivateDestinations };
  for (const app of config.apps) {
    for (const route of app.routes ?? []) {
      for (const destination of route.destinations) {
        const verdict = checkDestination(destination, rules);
        if (!verdict.isAllowed) throw new ConfigError(`RELAY_CONFIG app ${app.appId} route "${route.name}": destination ${maskServerUri(destination)} is refused: ${verdict.reason}`);
      }
    }
  }
}

function isHttpUrl(text: string): boolean {
  try {
    // `tunnel://` (or `tunnel://<name>`) lets registrations reach dev-tunnel listeners.
    if (text.startsWith('tunnel://')) return true;
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

interface SchemaProblem {
  instancePath: string;
  message: string;
  keyword: string;
  params: Record<string, unknown>;
}

function message(problem: SchemaProblem): string {
  const unknown = problem.keyword === 'additionalProperties' ? problem.params.additionalProperties : undefined;
  return Array.isArray(unknown) ? describeUnknownKeys(unknown.map(String), knownKeysAt(RelayConfigSchema, problem.instancePath)) : problem.message;
}

function describeProblem(problem: SchemaProblem, fromFile: boolean): string {
  const { instancePath } = problem;
  const key = instancePath.split('/')[1] ?? '';
  const variable = VARIABLE_OF_KEY[key];
  // apps/1/routes/0/name → apps[1].routes[0].name, as an operator reads the file.
  const path = instancePath.slice(1).split('/').reduce((text, part) => (/^\d+$/.test(part) ? `${text}[${part}]` : text ? `${text}.${part}` : part), '');
  if (path === '') return `the top level of ${fromFile ? 'RELAY_CONFIG' : 'the configuration'} ${message(problem)}`;
  const where = variable ? `${variable} (config key "${key}")` : `config key "${path}"`;
  return `${where} ${message(problem)}${fromFile && !variable ? ' in RELAY_CONFIG' : ''}`;
}

/** The property names the schema allows at a JSON pointer into the config (`/apps/0/routes/1`). */
function knownKeysAt(schema: unknown, instancePath: string): string[] {
  let node = schema as { properties?: Record<string, unknown>; items?: unknown; patternProperties?: Record<string, unknown> } | undefined;
  for (const part of instancePath.split('/').slice(1)) {
    if (!node) return [];
    node = (/^\d+$/.test(part) && node.items ? node.items : node.properties?.[part] ?? Object.values(node.patternProperties ?? {})[0]) as typeof node;
  }
  return Object.keys(node?.properties ?? {});
}

function describeUnknownKeys(unknown: readonly string[], known: readonly string[]): string {
  const named = unknown.map((name) => {
    const close = known.find((candidate) => candidate.toLowerCase() === name.toLowerCase() || isOneEditAway(candidate, name) || candidate.startsWith(name) || name.startsWith(candidate));
    return close ? `"${name}" (did you mean "${close}"?)` : `"${name}"`;
  });
  return `has unknown key(s) ${named.join(', ')}; the known keys here are ${known.join(', ')} (keys are case-sensitive)`;
}

/** A typo of one letter added, dropped or changed. */
function isOneEditAway(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a === b) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  const rest = (x: string, skip: number) => x.slice(i + skip);
  return rest(a, 1) === rest(b, 1) || rest(a, 1) === rest(b, 0) || rest(a, 0) === rest(b, 1);
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
  // WECHAT_* override the file's entry for the same app field by field (its routes stay).
  const envBase = envApp ? fileApps.find((app) => app?.appId === envApp.appId) : undefined;
  const apps = envApp ? [{ ...envBase, ...withoutUndefined(envApp) }, ...fileApps.filter((app) => app?.appId !== envApp.appId)] : fileApps;
  checkWechatApps([
    ...(envApp ? [{ app: apps[0]!, origin: 'env' as const }] : []),
    ...fileApps.filter((app) => app?.appId !== envApp?.appId).map((app) => ({ app, origin: { index: fileApps.indexOf(app) } })),
  ]);
  const merged = {
    ...DEFAULT_CONFIG,
    ...fromFile,
    ...fromEnv,
    apps,
    defaultAppId: envApp?.appId ?? (fromFile.defaultAppId as string | undefined) ?? apps[0]?.appId ?? UNCONFIGURED_APP_ID,
  };
  const problems = [...Value.Errors(RelayConfigSchema, merged)]
    .filter((problem) => problem.keyword !== 'boolean' || problem.instancePath === '')
    .map((problem) => describeProblem(problem as SchemaProblem, env.RELAY_CONFIG !== undefined));
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  - ${[...new Set(problems)].join('\n  - ')}`);
  const config = merged as RelayConfig;
  if (!config.apps.some((app) => app.appId === config.defaultAppId) && config.apps.length > 0) {
    throw new ConfigError(`defaultAppId "${config.defaultAppId}" is not one of the configured apps`);
  }
  const badPrefixes = [...config.allowedDestinations, ...config.scopedApiKeys.flatMap((item) => item.destinationPrefixes ?? [])].filter((prefix) => !isHttpUrl(prefix));
  if (badPrefixes.length > 0) throw new ConfigError(`RELAY_ALLOWED_DESTINATIONS and destinationPrefixes must be absolute http(s) URL prefixes (or tunnel://…); not: ${badPrefixes.join(', ')}`);
  checkRouteDestinations(config);
  checkSources(config);
  const badProxies = config.trustedProxies.filter((entry) => !ipaddr.isValid(entry) && !ipaddr.isValidCIDR(entry));
  if (badProxies.length > 0) throw new ConfigError(`RELAY_TRUSTED_PROXIES lists addresses or CIDRs (127.0.0.1, 10.0.0.0/8, ::1); not: ${badProxies.join(', ')}`);
  const keyless = config.scopedApiKeys.filter((item) => !item.key === !item.keySha256);
  if (keyless.length > 0) throw new ConfigError(`scopedApiKeys: give exactly one of "key" or "keySha256" for ${keyless.map((item) => item.id).join(', ')} in RELAY_CONFIG`);
  if (config.deliveryLeaseMs !== undefined && config.deliveryLeaseMs <= config.attemptTimeoutMs) {
    throw new ConfigError(`RELAY_DELIVERY_LEASE_MS (${config.deliveryLeaseMs}) must be longer than RELAY_ATTEMPT_TIMEOUT_MS (${config.attemptTimeoutMs}), or a slow attempt could be sent twice`);
  }
  return config;
}
