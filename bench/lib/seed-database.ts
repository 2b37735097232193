import { DatabaseSync } from 'node:sqlite';
import { newRowId } from '../../src/storage/row-id.ts';
import { migrateWith } from './migrate-with.ts';

/**
 * Creates a relay database with `count` pending registrations, written straight
 * into SQLite so that a million rows take seconds, not the length of an HTTP run.
 * `expiredShare` of them have a deadline already past.
 */
export async function seedPendingTraces(file: string, options: { count: number; serverUri: string; expiredShare?: number; prefix?: string; now?: number; relayBin?: string }): Promise<void> {
  await migrateWith(`sqlite:${file}`, options.relayBin);
  const database = new DatabaseSync(file);
  const insert = database.prepare(`insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at)
    values (?, 'default', ?, ?, 'pending', null, null, 0, 0, ?, ?, ?)`);
  const now = options.now ?? Date.now();
  const expiredEvery = options.expiredShare ? Math.round(1 / options.expiredShare) : 0;
  const chunk = 50_000;
  for (let start = 0; start < options.count; start += chunk) {
    database.exec('begin');
    for (let i = start; i < Math.min(options.count, start + chunk); i += 1) {
      const deadline = expiredEvery && i % expiredEvery === 0 ? now - 1000 : now + 3_600_000;
      insert.run(newRowId(), `${options.prefix ?? 'bench'}-${i}`, options.serverUri, now, now, deadline);
    }
    database.exec('commit');
  }
  database.close();
}
