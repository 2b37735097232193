import type { RelayConfig } from '../config/config-schema.ts';
import { maskDatabaseUrl } from '../redaction/url-credentials.ts';
import { ConfigError } from '../config/env-variables.ts';
import { openMysqlStore } from './mysql/open-mysql-store.ts';
import { openPostgresStore } from './postgres/open-postgres-store.ts';
import type { RelayStore } from './relay-store.ts';
import type { ServerPoolOptions } from './server-pool-options.ts';
import { holdSqliteFile } from './sqlite/sqlite-file-hold.ts';
import { ThreadedSqliteStore } from './sqlite/threaded-sqlite-store.ts';


type StoreConfig = Pick<RelayConfig, 'databaseUrl' | 'sqliteSynchronous'>
  & Partial<Pick<RelayConfig, 'dbPoolMax' | 'dbStatementTimeoutMs' | 'dbConnectTimeoutMs'>>;

const SERVER_SCHEMES: Readonly<Record<string, (options: ServerPoolOptions) => RelayStore>> = {
  'postgres:': openPostgresStore,
  'postgresql:': openPostgresStore,
  'mysql:': openMysqlStore,
  'mariadb:': openMysqlStore,
};

/** Checks a server DATABASE_URL before any connection is tried, so a typo stops the start with a clear message. */
function parseServerUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`DATABASE_URL ${maskDatabaseUrl(url)} cannot be parsed: expected e.g. postgres://user:password@host:5432/relay or mysql://user:password@host:3306/relay`);
  }
  if (parsed.hostname === '') throw new ConfigError(`DATABASE_URL ${maskDatabaseUrl(url)} names no host`);
  if (parsed.pathname.length <= 1) throw new ConfigError(`DATABASE_URL ${maskDatabaseUrl(url)} names no database (add /<database> after the host)`);
  return parsed;
}

export interface StoreHooks {
  /** A pooled server connection broke; the pool opens a new one when needed. */
  onPoolError?: (error: Error) => void;
  /** The store can serve no more calls (the SQLite thread crashed). */
  onBroken?: (error: Error) => void;
  /** A relay's own store: a SQLite file is held for this process (refused if another relay holds it). */
  holdsSqliteFile?: boolean;
}

/** Opens the store that DATABASE_URL names. Server databases connect lazily; `ping()` tells whether they answer. */
export function openStore(config: StoreConfig, hooks: StoreHooks = {}): RelayStore {
  const url = config.databaseUrl;
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length);
    if (filename.length === 0) throw new ConfigError('DATABASE_URL "sqlite:" needs a file, e.g. sqlite:data/relay.db or sqlite::memory:');
    const hold = hooks.holdsSqliteFile && filename !== ':memory:' ? holdSqliteFile(filename) : undefined;
    return new ThreadedSqliteStore({ filename, synchronous: config.sqliteSynchronous }, { onBroken: hooks.onBroken, hold });
  }
  const scheme = /^[a-z]+:/i.exec(url)?.[0].toLowerCase() ?? '';
  const open = SERVER_SCHEMES[scheme];
  if (!open) throw new ConfigError(`DATABASE_URL ${maskDatabaseUrl(url)} is not supported: use sqlite:<file>, sqlite::memory:, postgres://… or mysql://…`);
  parseServerUrl(url);
  return open({
    url,
    poolMax: config.dbPoolMax ?? 10,
    statementTimeoutMs: config.dbStatementTimeoutMs ?? 10_000,
    connectTimeoutMs: config.dbConnectTimeoutMs ?? 5000,
    onPoolError: hooks.onPoolError,
  });
}

/** The database named by DATABASE_URL did not answer at start; the message is safe to print. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachableError';
  }
}

/** Fails the start with a clear, credential-free message when the database does not answer. */
export async function assertDatabaseReachable(store: RelayStore, url: string): Promise<void> {
  try {
    await store.ping();
  } catch (error) {
    let reason = error instanceof Error ? error.message : String(error);
    const password = /\/\/[^:@/]+:([^@/]*)@/.exec(url)?.[1];
    if (password) reason = reason.replaceAll(decodeURIComponent(password), '***').replaceAll(password, '***');
    throw new DatabaseUnreachableError(`cannot reach the database at ${maskDatabaseUrl(url)}: ${reason || (error as { code?: string }).code || 'no answer'}`);
  }
}
