import { migrateWith } from './migrate-with.ts';
import { newRowId } from '../../src/storage/row-id.ts';
import { connectSql } from './sql-client.ts';

const ROWS_PER_STATEMENT = 1000;

/**
 * The server-database twin of seedPendingTraces: migrates the (empty) database
 * at `url` with the relay's own migrations, then writes `count` pending
 * registrations with the same columns, a thousand rows per INSERT, so that
 * 200 000 rows take seconds.
 */
export async function seedServerPendingTraces(url: string, options: { count: number; serverUri: string; prefix: string; relayBin?: string }): Promise<void> {
  await migrateWith(url, options.relayBin);
  const client = await connectSql(url);
  try {
    const now = Date.now();
    for (let start = 0; start < options.count; start += ROWS_PER_STATEMENT) {
      const size = Math.min(ROWS_PER_STATEMENT, options.count - start);
      const params: unknown[] = [];
      for (let i = start; i < start + size; i += 1) params.push(newRowId(), `${options.prefix}-${i}`, options.serverUri, now, now, now + 3_600_000);
      const rows = Array.from({ length: size }, () => "(?, 'default', ?, ?, 'pending', null, null, 0, 0, ?, ?, ?)").join(', ');
      await client.query(`insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at) values ${rows}`, params);
    }
    // Fresh statistics, as a database that grew to this size would have: the planner then
    // sees the real table, not the empty one it was created as.
    await client.query(/^postgres/i.test(url) ? 'analyze relay_traces' : 'analyze table relay_traces');
  } finally {
    await client.close();
  }
}
