import type { RelayConfig } from '../config/config-schema.ts';
import { ConfigError } from '../config/env-variables.ts';
import type { RelayStore } from './relay-store.ts';
import { openSqliteStore } from './sqlite/open-sqlite-store.ts';

/** Hides credentials in a database URL before it reaches a log or an error message. */
export function maskDatabaseUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
}

/** Opens the store that DATABASE_URL names. */
export function openStore(config: Pick<RelayConfig, 'databaseUrl' | 'sqliteSynchronous'>): RelayStore {
  const url = config.databaseUrl;
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length);
    if (filename.length === 0) throw new ConfigError('DATABASE_URL "sqlite:" needs a file, e.g. sqlite:data/relay.db or sqlite::memory:');
    return openSqliteStore({ filename, synchronous: config.sqliteSynchronous });
  }
  throw new ConfigError(`DATABASE_URL ${maskDatabaseUrl(url)} is not supported: use sqlite:<file>, sqlite::memory:, postgres://… or mysql://…`);
}
