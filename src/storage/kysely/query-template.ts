import { CompiledQuery, type Compilable, type QueryResult } from 'kysely';
import type { Db } from './store-context.ts';

const SLOT_MARK = '\u0000relay-slot:';

type Part<Name extends string> = { slot: Name } | { value: unknown };

/**
 * A query of fixed shape built once per dialect by Kysely, then run many times
 * with new values: the builder's compile (parsing, freezing, visiting its tree)
 * cost more than SQLite took to run the statement. The builder marks where each
 * named value goes with `slot(name)`; Kysely itself decides the SQL and the order
 * of the parameters, so nothing of the SQL is written twice. Values other than
 * slots (constants such as a status) are kept as compiled.
 */
export class QueryTemplate<Name extends string> {
  readonly #build: (db: Db, slot: (name: Name) => never) => Compilable;
  /** One shape per dialect, told apart by the Kysely adapter class the database uses. */
  readonly #shapes = new WeakMap<object, { sql: string; parts: Array<Part<Name>> }>();

  constructor(build: (db: Db, slot: (name: Name) => never) => Compilable) {
    this.#build = build;
  }

  /** The statement for `values`, on the database `db` belongs to. */
  compile(db: Db, values: Readonly<Record<Name, unknown>>): CompiledQuery {
    const dialect = db.getExecutor().adapter.constructor;
    let shape = this.#shapes.get(dialect);
    if (!shape) {
      const compiled = this.#build(db, (name) => `${SLOT_MARK}${name}` as never).compile();
      const parts = compiled.parameters.map((parameter): Part<Name> =>
        typeof parameter === 'string' && parameter.startsWith(SLOT_MARK) ? { slot: parameter.slice(SLOT_MARK.length) as Name } : { value: parameter });
      shape = { sql: compiled.sql, parts };
      this.#shapes.set(dialect, shape);
    }
    return CompiledQuery.raw(shape.sql, shape.parts.map((part) => ('slot' in part ? values[part.slot] : part.value)));
  }

  /** Runs the statement for `values` on `db` (a transaction or the pool). */
  execute<Row = Record<string, unknown>>(db: Db, values: Readonly<Record<Name, unknown>>): Promise<QueryResult<Row>> {
    return db.executeQuery(this.compile(db, values) as CompiledQuery<Row>);
  }
}

/** Rows an INSERT or UPDATE run through a template changed, across drivers. */
export function affectedRows(result: QueryResult<unknown>): number {
  return Number(result.numAffectedRows ?? 0n);
}
