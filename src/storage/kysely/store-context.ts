import type { Insertable, Kysely } from 'kysely';
import type { RelayDatabase } from '../database-schema.ts';
import type { DialectTraits } from '../dialect-traits.ts';

export type Db = Kysely<RelayDatabase>;

/** Inserts a row unless a unique key already holds one; returns whether it was inserted. */
export async function insertIgnoring<T extends keyof RelayDatabase & string>(
  db: Db,
  traits: DialectTraits,
  table: T,
  values: Insertable<RelayDatabase[T]>,
): Promise<boolean> {
  // Kysely's generic insert types do not narrow over a table-name union; the values are typed above.
  const base = db.insertInto(table).values(values as never);
  const query = traits.supportsOnConflict ? base.onConflict((conflict) => conflict.doNothing()) : base.ignore();
  const result = await query.executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Number of rows an UPDATE changed, across drivers. */
export function changedRows(result: { numUpdatedRows: bigint } | undefined): number {
  return Number(result?.numUpdatedRows ?? 0n);
}
