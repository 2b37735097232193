import { sql, type Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.ts';

/**
 * Indexes for the dashboard's read side. Every list is keyset-paged on
 * (created_at, id), so each filter gets an index that ends in those two columns:
 * a page is then an index range walk whatever the table size. The activity
 * chart and destination health read time ranges, so their timestamps are indexed
 * too (covering the columns they count, so no table row is read).
 */
export async function up(db: Kysely<unknown>, traits: DialectTraits): Promise<void> {
  const index = (name: string, table: string, columns: string[]) => db.schema.createIndex(name).on(table).columns(columns).execute();
  // server_uri and destination are up to 2048 characters: where keys are short, index their start.
  const wideIndex = (name: string, table: string, wide: string, rest: string[]) => {
    if (traits.indexPrefixChars === undefined) return index(name, table, [wide, ...rest]);
    const columns = [sql`${sql.ref(wide)}(${sql.raw(String(traits.indexPrefixChars))})`, ...rest.map((column) => sql.ref(column))];
    return sql`create index ${sql.ref(name)} on ${sql.table(table)} (${sql.join(columns)})`.execute(db);
  };
  await index('relay_traces_created_id_ix', 'relay_traces', ['created_at', 'id']);
  // (status, created_at, id) comes from 0004, which pages redrives the same way.
  await index('relay_traces_app_created_ix', 'relay_traces', ['app_id', 'created_at', 'id']);
  await wideIndex('relay_traces_uri_created_ix', 'relay_traces', 'server_uri', ['created_at', 'id']);
  // Search by trace id across apps (the unique index starts with app_id).
  await index('relay_traces_trace_id_ix', 'relay_traces', ['trace_id']);
  await index('relay_callbacks_received_ix', 'relay_callbacks', ['received_at']);
  await index('relay_deliveries_kind_status_updated_ix', 'relay_deliveries', ['kind', 'status', 'updated_at']);
  // Open deliveries per destination, for its health.
  await wideIndex('relay_deliveries_destination_status_ix', 'relay_deliveries', 'destination', ['status']);
  await index('relay_deliveries_kind_created_ix', 'relay_deliveries', ['kind', 'created_at']);
  await index('relay_attempts_started_ix', 'relay_attempts', ['started_at', 'delivery_id', 'outcome']);
}
