import { sql, type Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.ts';

/**
 * Each app's access_token, kept for every instance of the relay, with the lease
 * that lets one instance at a time renew it. One row per app, read by primary key:
 * no secondary index.
 */
export async function up(db: Kysely<unknown>, traits: DialectTraits): Promise<void> {
  await db.schema.createTable('relay_access_tokens')
    .addColumn('app_id', 'varchar(64)', (col) => col.primaryKey())
    // WeChat asks holders to keep at least 512 characters for a token.
    .addColumn('access_token', 'varchar(2048)')
    .addColumn('expires_at', 'bigint')
    .addColumn('fetched_at', 'bigint')
    .addColumn('renew_owner', 'varchar(128)')
    .addColumn('renew_until', 'bigint')
    .addColumn('last_error', 'varchar(512)')
    .addColumn('last_error_at', 'bigint')
    .addColumn('forced_at', 'bigint')
    .addColumn('forced_day', 'bigint')
    .addColumn('forced_count', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  if (traits.binaryCollation) {
    await sql`ALTER TABLE relay_access_tokens CONVERT TO CHARACTER SET utf8mb4 COLLATE ${sql.raw(traits.binaryCollation)}`.execute(db);
  }
}
