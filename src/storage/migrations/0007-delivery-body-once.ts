import { sql, type Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.ts';

const COLUMNS = 'id, trace_pk, kind, destination, callback_id, content_type, body, is_late, status, attempt_count, next_attempt_at, lease_owner, created_at, updated_at, source, requested_by, app_id, route_name';

/**
 * A push's body is stored once, with the push: a delivery that forwards it leaves
 * `body` null and is sent with its callback's. Only timeout notices, which have no
 * push, carry their own. Rows written before keep their copy (reads take the
 * delivery's body first) until retention removes them: nothing is rewritten here.
 */
export async function up(db: Kysely<unknown>, traits: DialectTraits): Promise<void> {
  if (traits.relaxesNotNullBy === 'alter-column') {
    await db.schema.alterTable('relay_deliveries').alterColumn('body', (col) => col.dropNotNull()).execute();
    return;
  }
  if (traits.relaxesNotNullBy === 'modify-column') {
    await db.schema.alterTable('relay_deliveries').modifyColumn('body', sql.raw(traits.largeTextType)).execute();
    return;
  }
  await rebuildDeliveries(db, traits);
}

/** SQLite cannot drop a NOT NULL in place: the table is copied into its new shape, indexes and all. */
async function rebuildDeliveries(db: Kysely<unknown>, traits: DialectTraits): Promise<void> {
  await db.schema.createTable('relay_deliveries_v3')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('trace_pk', 'varchar(36)')
    .addColumn('kind', 'varchar(16)', (col) => col.notNull())
    .addColumn('destination', 'varchar(2048)', (col) => col.notNull())
    .addColumn('callback_id', 'varchar(36)')
    .addColumn('content_type', 'varchar(64)', (col) => col.notNull())
    .addColumn('body', sql.raw(traits.largeTextType))
    .addColumn('is_late', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('status', 'varchar(16)', (col) => col.notNull())
    .addColumn('attempt_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addColumn('source', 'varchar(16)')
    .addColumn('requested_by', 'varchar(128)')
    .addColumn('app_id', 'varchar(64)')
    .addColumn('route_name', 'varchar(64)')
    .execute();
  await sql`insert into relay_deliveries_v3 (${sql.raw(COLUMNS)}) select ${sql.raw(COLUMNS)} from relay_deliveries`.execute(db);
  await db.schema.dropTable('relay_deliveries').execute();
  await db.schema.alterTable('relay_deliveries_v3').renameTo('relay_deliveries').execute();
  // The indexes of 0002 and 0005, as they were (SQLite indexes whole columns).
  const index = (name: string, columns: string[]) => db.schema.createIndex(name).on('relay_deliveries').columns(columns).execute();
  await index('relay_deliveries_status_due_ix', ['status', 'next_attempt_at']);
  await index('relay_deliveries_trace_ix', ['trace_pk']);
  await index('relay_deliveries_callback_ix', ['callback_id']);
  await index('relay_deliveries_kind_status_updated_ix', ['kind', 'status', 'updated_at']);
  await index('relay_deliveries_destination_status_ix', ['destination', 'status']);
  await index('relay_deliveries_kind_created_ix', ['kind', 'created_at']);
}
