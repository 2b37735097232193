import { sql, type Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.ts';

const TABLES = ['relay_traces', 'relay_callbacks', 'relay_deliveries', 'relay_attempts'] as const;

/**
 * Production storage: ids compared byte for byte on every database, and the
 * indexes the retention purge reads, so it finds old rows without scanning.
 */
export async function up(db: Kysely<unknown>, traits: DialectTraits): Promise<void> {
  if (traits.binaryCollation) {
    const collation = sql.raw(traits.binaryCollation);
    for (const table of TABLES) {
      await sql`ALTER TABLE ${sql.table(table)} CONVERT TO CHARACTER SET utf8mb4 COLLATE ${collation}`.execute(db);
    }
  }
  // Retention reads finished traces oldest first: `status IN (…) AND updated_at < cutoff`.
  await db.schema.createIndex('relay_traces_status_updated_ix').on('relay_traces').columns(['status', 'updated_at']).execute();
  // … and callbacks that never reached a trace (expired, unrouted) by age.
  await db.schema.createIndex('relay_callbacks_state_received_ix').on('relay_callbacks').columns(['state', 'received_at']).execute();
}
