import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openStore } from '../../src/storage/open-store.ts';

/**
 * Brings the database at `url` to the schema of the relay that will run on it: that
 * checkout's own `callback-relay migrate` when `relayBin` is given (a relay refuses a
 * database migrated by a newer checkout), else this checkout's migrations.
 */
export async function migrateWith(url: string, relayBin: string | undefined): Promise<void> {
  if (relayBin) {
    await promisify(execFile)(process.execPath, [relayBin, 'migrate'], { env: { ...process.env, DATABASE_URL: url } });
    return;
  }
  const store = openStore({ databaseUrl: url, sqliteSynchronous: 'normal' });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
}
