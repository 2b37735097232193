import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.ts';
import type { RelayStore } from '../../src/storage/relay-store.ts';
import { createTestDatabase, currentBackend, type TestDatabase } from '../helpers/test-backends.ts';

const backend = currentBackend();

/** A statement stuck behind a lock is cancelled by the database at RELAY_DB_STATEMENT_TIMEOUT_MS, freeing its connection. */
describe.skipIf(backend === 'sqlite')(`statement timeout on ${backend}`, () => {
  let database: TestDatabase;
  let store: RelayStore;

  beforeAll(async () => {
    if (backend === 'sqlite') return;
    database = await createTestDatabase(backend);
    store = openStore({ databaseUrl: database.url, sqliteSynchronous: 'full', dbPoolMax: 2, dbStatementTimeoutMs: 800, dbConnectTimeoutMs: 2000 });
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('cancels a write that waits on a lock held elsewhere, and the store keeps working', async () => {
    const now = Date.now();
    await store.register({ appId: 'app', traceId: 'locked-1', serverUri: 'http://127.0.0.1:1/x', deadlineAt: now + 60_000 }, now);
    const release = await lockTrace(database.url, 'locked-1');
    try {
      const ingest = store.ingestCallback({
        appId: 'app', correlationId: 'locked-1', dedupeKey: 'id:locked-1', event: 'event/wxa_media_check',
        contentType: 'application/json', body: '{}', fingerprint: 'f',
      }, now, now + 60_000);
      await expect(ingest).rejects.toThrow();
    } finally {
      await release();
    }
    // Nothing was half-written: the push can be stored now.
    expect(await store.ingestCallback({
      appId: 'app', correlationId: 'locked-1', dedupeKey: 'id:locked-1', event: 'event/wxa_media_check',
      contentType: 'application/json', body: '{}', fingerprint: 'f',
    }, now, now + 60_000)).toBe('forwarded');
  });
});

/** Holds a row lock on a trace from another connection until released. */
async function lockTrace(url: string, traceId: string): Promise<() => Promise<void>> {
  if (url.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT id FROM relay_traces WHERE trace_id = $1 FOR UPDATE', [traceId]);
    return async () => {
      await client.query('ROLLBACK');
      await client.end();
    };
  }
  const connection = await createConnection({ uri: url });
  await connection.query('START TRANSACTION');
  await connection.query('SELECT id FROM relay_traces WHERE trace_id = ? FOR UPDATE', [traceId]);
  return async () => {
    await connection.query('ROLLBACK');
    await connection.end();
  };
}
