import { loadConfig } from '../config/load-config.ts';
import { maskDatabaseUrl } from '../redaction/url-credentials.ts';
import { assertDatabaseReachable, openStore } from '../storage/open-store.ts';

export const MIGRATE_USAGE = `Usage: callback-relay migrate

Applies the pending database migrations to DATABASE_URL and exits; a database
that is up to date is left as it is. Takes no arguments. A running relay
migrates at start by itself unless RELAY_MIGRATE_ON_START=false.`;

/** `callback-relay migrate`: applies pending migrations to DATABASE_URL and exits. */
export async function runMigrateCommand(): Promise<number> {
  const config = loadConfig();
  const store = openStore(config);
  try {
    await assertDatabaseReachable(store, config.databaseUrl);
    await store.migrate();
    console.log(`callback-relay: ${maskDatabaseUrl(config.databaseUrl)} is up to date`);
    return 0;
  } finally {
    await store.close();
  }
}
