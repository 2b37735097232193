import type { Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.ts';

/**
 * Replays and redrives: who asked for a delivery (kept on the delivery, so the
 * attempt log shows it) and an audit log of every administrative act.
 */
export async function up(db: Kysely<unknown>, _traits: DialectTraits): Promise<void> {
  // One column per statement: SQLite adds a single column per ALTER TABLE.
  await db.schema.alterTable('relay_deliveries').addColumn('source', 'varchar(16)').execute();
  await db.schema.alterTable('relay_deliveries').addColumn('requested_by', 'varchar(128)').execute();

  await db.schema.createTable('relay_audit_log')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('at', 'bigint', (col) => col.notNull())
    .addColumn('actor', 'varchar(128)', (col) => col.notNull())
    .addColumn('action', 'varchar(32)', (col) => col.notNull())
    .addColumn('app_id', 'varchar(64)')
    .addColumn('trace_id', 'varchar(128)')
    .addColumn('delivery_id', 'varchar(36)')
    .addColumn('detail', 'varchar(2048)')
    .execute();
  await db.schema.createIndex('relay_audit_log_at_ix').on('relay_audit_log').columns(['at']).execute();
  // A redrive walks `status = 'failed'` in registration order, a page at a time.
  await db.schema.createIndex('relay_traces_status_created_ix').on('relay_traces').columns(['status', 'created_at', 'id']).execute();
}
