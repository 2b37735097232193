import { sql, type Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.ts';

/** The first schema: traces, the pushes received, deliveries and their attempts. */
export async function up(db: Kysely<unknown>, traits: DialectTraits): Promise<void> {
  const largeText = sql.raw(traits.largeTextType);
  await db.schema.createTable('relay_traces')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('app_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('trace_id', 'varchar(128)', (col) => col.notNull())
    .addColumn('server_uri', 'varchar(2048)', (col) => col.notNull())
    .addColumn('status', 'varchar(16)', (col) => col.notNull())
    .addColumn('error', 'varchar(32)')
    .addColumn('callback_id', 'varchar(36)')
    .addColumn('is_late', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('conflict_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addColumn('deadline_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('relay_traces_app_trace_uq').on('relay_traces').columns(['app_id', 'trace_id']).unique().execute();
  // The sweep reads `status = 'pending' AND deadline_at <= now` in deadline order: O(expired), not O(pending).
  await db.schema.createIndex('relay_traces_status_deadline_ix').on('relay_traces').columns(['status', 'deadline_at']).execute();
  await db.schema.createIndex('relay_traces_created_ix').on('relay_traces').columns(['created_at']).execute();

  await db.schema.createTable('relay_callbacks')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('app_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('correlation_id', 'varchar(128)')
    .addColumn('dedupe_key', 'varchar(255)', (col) => col.notNull())
    .addColumn('event', 'varchar(128)', (col) => col.notNull())
    .addColumn('content_type', 'varchar(64)', (col) => col.notNull())
    .addColumn('body', largeText, (col) => col.notNull())
    .addColumn('fingerprint', 'varchar(64)', (col) => col.notNull())
    .addColumn('state', 'varchar(16)', (col) => col.notNull())
    .addColumn('duplicate_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('received_at', 'bigint', (col) => col.notNull())
    .addColumn('parked_until', 'bigint')
    .execute();
  await db.schema.createIndex('relay_callbacks_app_dedupe_uq').on('relay_callbacks').columns(['app_id', 'dedupe_key']).unique().execute();
  await db.schema.createIndex('relay_callbacks_app_correlation_ix').on('relay_callbacks').columns(['app_id', 'correlation_id']).execute();
  await db.schema.createIndex('relay_callbacks_state_parked_ix').on('relay_callbacks').columns(['state', 'parked_until']).execute();

  await db.schema.createTable('relay_deliveries')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('trace_pk', 'varchar(36)', (col) => col.notNull())
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
    .execute();
  // Claiming reads `status IN ('pending','delivering') AND next_attempt_at <= now` in due order.
  await db.schema.createIndex('relay_deliveries_status_due_ix').on('relay_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('relay_deliveries_trace_ix').on('relay_deliveries').columns(['trace_pk']).execute();

  await db.schema.createTable('relay_attempts')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('delivery_id', 'varchar(36)', (col) => col.notNull())
    .addColumn('trace_pk', 'varchar(36)', (col) => col.notNull())
    .addColumn('attempt_no', 'integer', (col) => col.notNull())
    .addColumn('started_at', 'bigint', (col) => col.notNull())
    .addColumn('duration_ms', 'integer', (col) => col.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('outcome', 'varchar(32)', (col) => col.notNull())
    .addColumn('error_message', 'varchar(512)')
    .addColumn('response_excerpt', 'text')
    .execute();
  await db.schema.createIndex('relay_attempts_trace_ix').on('relay_attempts').columns(['trace_pk', 'started_at']).execute();
  await db.schema.createIndex('relay_attempts_delivery_ix').on('relay_attempts').columns(['delivery_id']).execute();
}
