import { DatabaseSync } from 'node:sqlite';
import {
  DummyDriver, Kysely, MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler, PostgresAdapter, PostgresIntrospector,
  PostgresQueryCompiler, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type CompiledQuery, type Dialect,
} from 'kysely';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import type { RelayDatabase } from '../../src/storage/database-schema.ts';
import type { TestBackend } from './test-backends.ts';

const DIALECTS: Record<TestBackend, () => Dialect> = {
  sqlite: () => ({ createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new SqliteIntrospector(db), createQueryCompiler: () => new SqliteQueryCompiler() }),
  postgres: () => ({ createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler() }),
  mysql: () => ({ createAdapter: () => new MysqlAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new MysqlIntrospector(db), createQueryCompiler: () => new MysqlQueryCompiler() }),
};

/** A Kysely that only compiles: the store's own query builders, turned into the SQL each backend is sent. */
export function compilingDb(backend: TestBackend): Kysely<RelayDatabase> {
  return new Kysely<RelayDatabase>({ dialect: DIALECTS[backend]() });
}

/** Raw SQL straight to the test database, beside the relay: seeding and EXPLAIN. */
export interface RawDatabase {
  exec(sqlText: string, parameters?: readonly unknown[]): Promise<void>;
  /** The plan the database would run, one line per step (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN; MySQL: EXPLAIN rows). */
  explain(query: CompiledQuery): Promise<string[]>;
  /** The secondary indexes of the relay's tables, by name. */
  indexes(): Promise<string[]>;
  /** Gives the planner statistics (ANALYZE). */
  analyze(): Promise<void>;
  close(): Promise<void>;
}

export async function openRawDatabase(url: string): Promise<RawDatabase> {
  if (url.startsWith('sqlite:')) {
    const database = new DatabaseSync(url.slice('sqlite:'.length));
    return {
      exec: async (text, parameters = []) => { database.prepare(text).run(...(parameters as never[])); },
      explain: async (query) => (database.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...(query.parameters as never[])) as Array<{ detail: string }>).map((row) => row.detail),
      indexes: async () => (database.prepare(`select name from sqlite_master where type = 'index' and tbl_name like 'relay\\_%' escape '\\' and name not like 'sqlite_autoindex_%'`).all() as Array<{ name: string }>).map((row) => row.name),
      analyze: async () => { database.exec('ANALYZE'); },
      close: async () => database.close(),
    };
  }
  if (url.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      exec: async (text, parameters = []) => { await client.query(text, [...parameters]); },
      explain: async (query) => (await client.query(`EXPLAIN ${query.sql}`, [...query.parameters])).rows.map((row: Record<string, string>) => row['QUERY PLAN']!),
      indexes: async () => (await client.query(`select indexname from pg_indexes where schemaname = current_schema() and tablename like 'relay\\_%' and indexname not like '%\\_pkey'`)).rows.map((row: { indexname: string }) => row.indexname),
      analyze: async () => { await client.query('ANALYZE'); },
      close: () => client.end(),
    };
  }
  const connection = await createConnection({ uri: url });
  return {
    exec: async (text, parameters = []) => { await connection.query(text, [...parameters]); },
    explain: async (query) => {
      const [rows] = await connection.query(`EXPLAIN ${query.sql}`, [...query.parameters]);
      return (rows as Array<Record<string, unknown>>).map((row) => `${String(row.table)}: type=${String(row.type)} key=${String(row.key)} rows=${String(row.rows)} ${String(row.Extra ?? '')}`);
    },
    indexes: async () => {
      const [rows] = await connection.query(`select distinct index_name as name from information_schema.statistics where table_schema = database() and table_name like 'relay\\_%' and index_name <> 'PRIMARY'`);
      return (rows as Array<{ name: string }>).map((row) => row.name);
    },
    analyze: async () => {
      for (const table of ['relay_traces', 'relay_callbacks', 'relay_deliveries', 'relay_attempts']) await connection.query(`ANALYZE TABLE ${table}`);
    },
    close: () => connection.end(),
  };
}
