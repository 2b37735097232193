import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.ts';
import type { RelayStore } from '../../src/storage/relay-store.ts';
import { createTestDatabase, currentBackend, type TestDatabase } from '../helpers/test-backends.ts';

const backend = currentBackend();

/** A database filled before the relay first starts (a restore) gets planner statistics when the relay migrates. */
describe.skipIf(backend !== 'postgres')('statistics for tables never analyzed, on postgres', () => {
  let database: TestDatabase;
  let store: RelayStore;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    store = openStore({ databaseUrl: database.url, sqliteSynchronous: 'full' });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await store?.close();
    await database?.drop();
  });

  const analyzed = async (table: string): Promise<boolean> => {
    const { rows } = await client.query<{ done: boolean }>('select last_analyze is not null as done from pg_stat_user_tables where relname = $1', [table]);
    return rows[0]?.done === true;
  };

  it('analyzes a relay table that holds rows and has no statistics, and leaves empty ones alone', async () => {
    await store.migrate();
    expect(await analyzed('relay_traces')).toBe(false);
    // Autovacuum must not analyze it first, or the test would prove nothing.
    await client.query('alter table relay_traces set (autovacuum_enabled = false)');
    await client.query(`insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at)
      select 'tr-' || n, 'app', 'trace-' || n, 'http://127.0.0.1:1/cb', 'pending', null, null, 0, 0, n, n, n from generate_series(1, 2000) n`);
    // The table's row count reaches the statistics views when the session's counters are flushed.
    await client.query('select pg_stat_force_next_flush()');
    for (let waited = 0; waited < 5000; waited += 100) {
      const { rows } = await client.query<{ live: string }>("select n_live_tup as live from pg_stat_user_tables where relname = 'relay_traces'");
      if (Number(rows[0]?.live) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await store.migrate();
    expect(await analyzed('relay_traces')).toBe(true);
    expect(await analyzed('relay_attempts')).toBe(false);
  });
});
