import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { RelayDatabase } from '../database-schema.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import { KyselyRelayStore } from '../kysely/kysely-relay-store.ts';
import type { ServerPoolOptions } from '../server-pool-options.ts';
import { ingestInOneStatementOn } from './ingest-in-one-statement.ts';
import { completeInOneStatementOn } from './complete-in-one-statement.ts';
import { analyzeNeverAnalyzed } from './analyze-never-analyzed.ts';

export const POSTGRES_TRAITS: DialectTraits = {
  name: 'postgres',
  supportsSkipLocked: true,
  supportsOnConflict: true,
  groupsCommits: false,
  largeTextType: 'text',
  relaxesNotNullBy: 'alter-column',
};

const INT8_OID = 20;

/**
 * pg returns BIGINT (int8) as strings to keep precision; the relay's BIGINTs are
 * epoch milliseconds and counts, well inside 2^53, so they are read as numbers.
 * Set on this pool only, never on pg's global type registry.
 */
const relayTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Opens a pooled PostgreSQL store; connections are made lazily, so a down database does not stop the process. */
export function openPostgresStore(options: ServerPoolOptions): KyselyRelayStore {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    // Server side: the database cancels a runaway statement and an abandoned transaction.
    statement_timeout: options.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
    // Client side: a query on a connection that went silent (cut network) fails instead of hanging.
    query_timeout: options.statementTimeoutMs + 1000,
    keepAlive: true,
    application_name: 'callback-relay',
    types: relayTypes,
  });
  // An idle connection that breaks (database restarted) is dropped by the pool; without a listener it would crash the process.
  pool.on('error', (error) => options.onPoolError?.(error));
  // A connection that breaks while checked out (mid-transaction) emits 'error' on the
  // client itself, where the pool listens no longer: listen for the client's whole life.
  // The pool drops a broken client when it is released.
  pool.on('connect', (client) => client.on('error', (error) => options.onPoolError?.(error)));
  const db = new Kysely<RelayDatabase>({ dialect: new PostgresDialect({ pool }) });
  // The common pushes go through the pool itself: one named statement each, no transaction.
  return new KyselyRelayStore(db, {
    ...POSTGRES_TRAITS,
    ingestInBatches: ingestInOneStatementOn(pool),
    completeInOneStatement: completeInOneStatementOn(pool),
    analyzeNeverAnalyzed: () => analyzeNeverAnalyzed(pool),
  });
}
