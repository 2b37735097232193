import type { Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.ts';

/**
 * A registration looks for a parked push of its trace by
 * `app_id, correlation_id, state = 'parked', parked_until >= now`. With only
 * (app_id, correlation_id) to seek on, SQLite without planner statistics chose
 * (state, parked_until) instead and walked every parked push, so registrations
 * slowed as unclaimed pushes piled up. An index over all four columns is the
 * best match for every planner, with or without statistics; it replaces the
 * two-column one, whose queries (trace page, retention) use its prefix.
 */
export async function up(db: Kysely<unknown>, traits: DialectTraits): Promise<void> {
  await db.schema.createIndex('relay_callbacks_parked_lookup_ix').on('relay_callbacks')
    .columns(['app_id', 'correlation_id', 'state', 'parked_until']).execute();
  const drop = db.schema.dropIndex('relay_callbacks_app_correlation_ix');
  await (traits.indexNamesPerTable ? drop.on('relay_callbacks') : drop).execute();
}
