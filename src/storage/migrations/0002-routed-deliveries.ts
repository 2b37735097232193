import { sql, type Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.ts';

const DELIVERY_COLUMNS = 'id, trace_pk, kind, destination, callback_id, content_type, body, is_late, status, attempt_count, next_attempt_at, lease_owner, created_at, updated_at';
const ATTEMPT_COLUMNS = 'id, delivery_id, trace_pk, attempt_no, started_at, duration_ms, http_status, outcome, error_message, response_excerpt';

/**
 * Deliveries that belong to no trace: events routed by rule (no registered id)
 * to configured destinations. `trace_pk` becomes nullable on deliveries and
 * attempts, and a routed delivery names its app and rule instead. SQLite cannot
 * drop a NOT NULL in place, so both tables are rebuilt the same way everywhere.
 */
export async function up(db: Kysely<unknown>, traits: DialectTraits): Promise<void> {
  const largeText = sql.raw(traits.largeTextType);
  await db.schema.createTable('relay_deliveries_v2')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    // Null for a routed delivery; then app_id and route_name say where it came from.
    .addColumn('trace_pk', 'varchar(36)')
    .addColumn('kind', 'varchar(16)', (col) => col.notNull())
    .addColumn('destination', 'varchar(2048)', (col) => col.notNull())
    .addColumn('callback_id', 'varchar(36)')
    .addColumn('content_type', 'varchar(64)', (col) => col.notNull())
    .addColumn('body', largeText, (col) => col.notNull())
    .addColumn('is_late', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('status', 'varchar(16)', (col) => col.notNull())
    .addColumn('attempt_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addColumn('app_id', 'varchar(64)')
    .addColumn('route_name', 'varchar(64)')
    .execute();
  await sql`insert into relay_deliveries_v2 (${sql.raw(DELIVERY_COLUMNS)}) select ${sql.raw(DELIVERY_COLUMNS)} from relay_deliveries`.execute(db);
  await db.schema.dropTable('relay_deliveries').execute();
  await db.schema.alterTable('relay_deliveries_v2').renameTo('relay_deliveries').execute();
  await db.schema.createIndex('relay_deliveries_status_due_ix').on('relay_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('relay_deliveries_trace_ix').on('relay_deliveries').columns(['trace_pk']).execute();
  // A routed event's page lists its deliveries by callback.
  await db.schema.createIndex('relay_deliveries_callback_ix').on('relay_deliveries').columns(['callback_id']).execute();

  await db.schema.createTable('relay_attempts_v2')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('delivery_id', 'varchar(36)', (col) => col.notNull())
    .addColumn('trace_pk', 'varchar(36)')
    .addColumn('attempt_no', 'integer', (col) => col.notNull())
    .addColumn('started_at', 'bigint', (col) => col.notNull())
    .addColumn('duration_ms', 'integer', (col) => col.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('outcome', 'varchar(32)', (col) => col.notNull())
    .addColumn('error_message', 'varchar(512)')
    .addColumn('response_excerpt', 'text')
    .execute();
  await sql`insert into relay_attempts_v2 (${sql.raw(ATTEMPT_COLUMNS)}) select ${sql.raw(ATTEMPT_COLUMNS)} from relay_attempts`.execute(db);
  await db.schema.dropTable('relay_attempts').execute();
  await db.schema.alterTable('relay_attempts_v2').renameTo('relay_attempts').execute();
  await db.schema.createIndex('relay_attempts_trace_ix').on('relay_attempts').columns(['trace_pk', 'started_at']).execute();
  await db.schema.createIndex('relay_attempts_delivery_ix').on('relay_attempts').columns(['delivery_id']).execute();
}
