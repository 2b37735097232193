import { loadConfig } from '../config/load-config.ts';
import { maskDatabaseUrl } from '../redaction/url-credentials.ts';
import { assertDatabaseReachable, openStore } from '../storage/open-store.ts';

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
