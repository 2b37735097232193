import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { GenericSqliteDialect } from 'kysely-generic-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import type { RelayDatabase } from '../../src/storage/database-schema.ts';
import * as initial from '../../src/storage/migrations/0001-initial.ts';
import { createNodeSqliteExecutor } from '../../src/storage/sqlite/node-sqlite-executor.ts';
import { openSqliteStore, SQLITE_TRAITS } from '../../src/storage/sqlite/open-sqlite-store.ts';

describe('migration 0002 on a database that already holds traces, deliveries and attempts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-migration-'));
  const filename = join(dir, 'relay.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every row and lets the worker claim a delivery made before it', async () => {
    // A database as the first release left it: only 0001 applied, with work in flight.
    const db = new Kysely<RelayDatabase>({ dialect: new GenericSqliteDialect(() => createNodeSqliteExecutor(new DatabaseSync(filename))) });
    const migrator = new Migrator({
      db,
      migrationTableName: 'relay_migrations',
      migrationLockTableName: 'relay_migrations_lock',
      provider: { getMigrations: async () => ({ '0001-initial': { up: (database) => initial.up(database, SQLITE_TRAITS) } }) },
    });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const now = Date.now();
    await db.insertInto('relay_traces').values({ id: 't1', app_id: 'wx1', trace_id: 'old-trace', server_uri: 'http://127.0.0.1:1/old', status: 'delivering', error: null, callback_id: 'c1', is_late: 0, conflict_count: 0, created_at: now, updated_at: now, deadline_at: now + 60_000 }).execute();
    const delivery = { trace_pk: 't1', kind: 'callback', destination: 'http://127.0.0.1:1/old', callback_id: 'c1', content_type: 'application/json', body: '{"trace_id":"old-trace"}', is_late: 0, attempt_count: 1, lease_owner: null, created_at: now, updated_at: now };
    await sql0001Insert(db, [{ ...delivery, id: 'd1', status: 'pending', next_attempt_at: now - 1 }, { ...delivery, id: 'd0', status: 'failed', next_attempt_at: now }]);
    await db.insertInto('relay_attempts').values({ id: 'a1', delivery_id: 'd1', trace_pk: 't1', attempt_no: 1, started_at: now, duration_ms: 12, http_status: 503, outcome: 'http_error', error_message: null, response_excerpt: 'busy' }).execute();
    await db.destroy();

    const store = openSqliteStore({ filename, synchronous: 'normal' });
    try {
      await store.migrate();
      const trace = await store.getTrace('wx1', 'old-trace');
      expect(trace?.deliveries.map((item) => item.id).sort()).toEqual(['d0', 'd1']);
      expect(trace?.attempts).toMatchObject([{ deliveryId: 'd1', httpStatus: 503, responseExcerpt: 'busy' }]);
      const [claimed] = await store.claimDueDeliveries('test', now, 60_000, 10);
      expect(claimed).toMatchObject({ id: 'd1', tracePk: 't1', appId: 'wx1', traceId: 'old-trace', attempt: 2, routeName: null });
      // Written before bodies were stored once, it keeps its own copy (0007 rewrites nothing).
      expect(claimed?.body).toBe('{"trace_id":"old-trace"}');
    } finally {
      await store.close();
    }
  });
});

/** Inserts deliveries with only the columns 0001 has. */
async function sql0001Insert(db: Kysely<RelayDatabase>, rows: Array<Record<string, unknown>>): Promise<void> {
  for (const row of rows) await db.insertInto('relay_deliveries').values(row as never).execute();
}
