import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import { GenericSqliteDialect } from 'kysely-generic-sqlite';
import type { RelayDatabase } from '../database-schema.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import { KyselyRelayStore } from '../kysely/kysely-relay-store.ts';
import { createNodeSqliteExecutor } from './node-sqlite-executor.ts';

export const SQLITE_TRAITS: DialectTraits = {
  name: 'sqlite',
  supportsSkipLocked: false,
  supportsOnConflict: true,
  groupsCommits: true,
  largeTextType: 'text',
  relaxesNotNullBy: 'rebuilding-the-table',
};

export interface SqliteOptions {
  /** A file path or `:memory:`. */
  filename: string;
  /** `full` fsyncs every commit (survives power loss); `normal` survives process crashes. */
  synchronous: 'full' | 'normal';
}

/** Opens (creating if needed) the embedded SQLite database in WAL mode. */
export function openSqliteStore(options: SqliteOptions): KyselyRelayStore {
  if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
  const database = new DatabaseSync(options.filename);
  database.exec('PRAGMA journal_mode = WAL');
  database.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  // A second process on the same file (e.g. `migrate` while running) waits instead of failing.
  database.exec('PRAGMA busy_timeout = 5000');
  // Every push is a savepoint inside a group commit, and SQLite keeps the page images
  // a savepoint may roll back to in a statement journal, which goes to a temp file by
  // default once it grows: with 32 pushes to a commit that cost four times the
  // statements themselves (measured in-process). In memory it is a copy.
  database.exec('PRAGMA temp_store = MEMORY');
  const executor = createNodeSqliteExecutor(database);
  const db = new Kysely<RelayDatabase>({ dialect: new GenericSqliteDialect(() => executor) });
  return new KyselyRelayStore(db, SQLITE_TRAITS);
}
