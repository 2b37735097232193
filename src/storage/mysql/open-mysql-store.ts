import { CompiledQuery, Kysely, MysqlDialect, type DatabaseConnection } from 'kysely';
import { createPool } from 'mysql2';
import type { RelayDatabase } from '../database-schema.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import { KyselyRelayStore } from '../kysely/kysely-relay-store.ts';
import type { ServerPoolOptions } from '../server-pool-options.ts';

/** MariaDB ≥ 10.6 and MySQL ≥ 8.0 both have SKIP LOCKED. */
export const MYSQL_TRAITS: DialectTraits = {
  name: 'mysql',
  supportsSkipLocked: true,
  supportsOnConflict: false,
  groupsCommits: false,
  largeTextType: 'mediumtext',
  binaryCollation: 'utf8mb4_bin',
  // 500 characters × 4 bytes leaves room for the other key columns within MySQL's 3072-byte index keys.
  indexPrefixChars: 500,
  indexNamesPerTable: true,
  relaxesNotNullBy: 'modify-column',
  batchesIngest: true,
};

/**
 * Session settings for every new connection. READ COMMITTED (as PostgreSQL's
 * default) lets a statement see rows another instance committed after this
 * transaction's first read — the store's insert-then-read paths rely on it.
 * MariaDB and MySQL name their statement timeout differently.
 */
async function prepareSession(connection: DatabaseConnection, statementTimeoutMs: number): Promise<void> {
  await connection.executeQuery(CompiledQuery.raw('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'));
  const { rows } = await connection.executeQuery<{ version: string }>(CompiledQuery.raw('SELECT VERSION() AS version'));
  const isMariaDb = String(rows[0]?.version ?? '').toLowerCase().includes('mariadb');
  const timeout = isMariaDb
    ? `SET SESSION max_statement_time = ${(statementTimeoutMs / 1000).toFixed(3)}`
    : `SET SESSION max_execution_time = ${Math.round(statementTimeoutMs)}`;
  await connection.executeQuery(CompiledQuery.raw(timeout));
}

/** A pooled Kysely over MariaDB/MySQL with the relay's session settings; connections are made lazily. */
export function openMysqlDb(options: ServerPoolOptions): Kysely<RelayDatabase> {
  const pool = createPool({
    uri: options.url.replace(/^mariadb:/, 'mysql:'),
    connectionLimit: options.poolMax,
    maxIdle: options.poolMax,
    connectTimeout: options.connectTimeoutMs,
    enableKeepAlive: true,
    charset: 'utf8mb4',
    // BIGINT columns (epoch ms, counts) come back as numbers while they fit in 2^53.
    supportBigNumbers: true,
    bigNumberStrings: false,
    timezone: 'Z',
  });
  return new Kysely<RelayDatabase>({
    dialect: new MysqlDialect({ pool, onCreateConnection: (connection) => prepareSession(connection, options.statementTimeoutMs) }),
  });
}

/** Opens a pooled MariaDB/MySQL store; connections are made lazily, so a down database does not stop the process. */
export function openMysqlStore(options: ServerPoolOptions): KyselyRelayStore {
  const db = openMysqlDb(options);
  return new KyselyRelayStore(db, MYSQL_TRAITS);
}
