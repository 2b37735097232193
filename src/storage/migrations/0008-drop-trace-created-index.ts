import type { Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.ts';

/**
 * `relay_traces_created_ix (created_at)` is the first column of
 * `relay_traces_created_id_ix (created_at, id)`, which serves every query the
 * smaller one could: it cost each registration an index entry and served nothing.
 */
export async function up(db: Kysely<unknown>, traits: DialectTraits): Promise<void> {
  const drop = db.schema.dropIndex('relay_traces_created_ix');
  await (traits.indexNamesPerTable ? drop.on('relay_traces') : drop).execute();
}
