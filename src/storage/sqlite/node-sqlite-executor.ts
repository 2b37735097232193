import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { IGenericSqlite } from 'kysely-generic-sqlite';
import { parseBigInt } from 'kysely-generic-sqlite';

type Parameter = null | number | bigint | string | NodeJS.ArrayBufferView;

/**
 * Bridges Node's built-in `node:sqlite` to Kysely's generic SQLite driver.
 * Statements are prepared once and cached: the relay issues a small fixed set
 * of queries, so the cache stays small and preparing is taken off the hot path.
 */
export function createNodeSqliteExecutor(database: DatabaseSync): IGenericSqlite<DatabaseSync> {
  const statements = new Map<string, Prepared>();
  const prepare = (sql: string): Prepared => {
    let prepared = statements.get(sql);
    if (!prepared) {
      const statement = database.prepare(sql);
      // A statement with result columns returns rows (SELECT, PRAGMA, … RETURNING); asked once, not per run.
      prepared = { statement, returnsRows: statement.columns().length > 0 };
      statements.set(sql, prepared);
    }
    return prepared;
  };
  const toParameters = (parameters: readonly unknown[] | undefined): Parameter[] =>
    (parameters ?? []).map((value) => (typeof value === 'boolean' ? Number(value) : value) as Parameter);

  return {
    db: database,
    query: (_isSelect, sql, parameters) => {
      const { statement, returnsRows } = prepare(sql);
      if (returnsRows) return { rows: statement.all(...toParameters(parameters)) };
      const result = statement.run(...toParameters(parameters));
      return { rows: [], insertId: parseBigInt(result.lastInsertRowid), numAffectedRows: parseBigInt(result.changes) };
    },
    iterator: (_isSelect, sql, parameters) => prepare(sql).statement.iterate(...toParameters(parameters)) as IterableIterator<unknown>,
    close: () => database.close(),
  };
}

interface Prepared {
  statement: StatementSync;
  returnsRows: boolean;
}
