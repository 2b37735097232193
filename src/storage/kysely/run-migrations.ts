import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import type { RelayDatabase } from '../database-schema.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import { MIGRATIONS } from '../migrations/index.ts';

/** Applies the relay's migrations in order with Kysely's migrator (which locks against concurrent runs). */
export async function runMigrations(db: Kysely<RelayDatabase>, traits: DialectTraits): Promise<string[]> {
  const migrator = new Migrator({
    db,
    migrationTableName: 'relay_migrations',
    migrationLockTableName: 'relay_migrations_lock',
    // Numbers are handed out to work that lands in any order (0003 may ship before 0002):
    // apply a missing earlier one rather than refuse to start.
    allowUnorderedMigrations: true,
    provider: {
      getMigrations: async () => Object.fromEntries(MIGRATIONS.map((migration): [string, Migration] => [
        migration.name,
        { up: (database) => migration.up(database, traits) },
      ])),
    },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
