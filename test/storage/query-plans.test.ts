import type { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.ts';
import { selectAcceptingTraces, selectParkedFor, selectParkedPage } from '../../src/storage/kysely/parked-callbacks.ts';
import { createBackendDatabase } from '../helpers/relay-harness.ts';
import { compilingDb, openRawDatabase, type RawDatabase } from '../helpers/query-plans.ts';
import { currentBackend } from '../helpers/test-backends.ts';

const PARKED = 20_000;
const PENDING = 5_000;
const NOW = 1_800_000_000_000;

/** A full read of a relay table, in each backend's words. */
const FULL_SCAN = /^SCAN relay_|Seq Scan on relay_|type=ALL/;

/**
 * The hot queries seek, never scan, on a database holding a realistic mix
 * (mostly parked pushes nobody registered, pending traces), both before the
 * planner has statistics and after: a relay's database is young for a while.
 */
describe(`query plans on ${currentBackend()}`, () => {
  const db = compilingDb(currentBackend());
  let raw: RawDatabase;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createBackendDatabase();
    drop = database.drop;
    const store = openStore({ databaseUrl: database.url, sqliteSynchronous: 'normal' });
    await store.migrate();
    await store.close();
    raw = await openRawDatabase(database.url);
    await seed(raw);
  }, 120_000);
  afterAll(async () => {
    await raw?.close();
    await drop?.();
  });

  const cases: Array<{ name: string; query: () => CompiledQuery; index: RegExp }> = [
    { name: 'a registration looks up its parked push', query: () => selectParkedFor(db, 'app', 'parked-77', NOW).compile(), index: /relay_callbacks_parked_lookup_ix/ },
    { name: 'the adoption pass reads a page of recent parked pushes', query: () => selectParkedPage(db, { receivedAt: NOW + PARKED - 100, id: '' }, 500).compile(), index: /relay_callbacks_(state_)?received_ix/ },
    {
      name: 'the adoption pass reads the page\'s traces by key',
      query: () => selectAcceptingTraces(db, Array.from({ length: 50 }, (_, i) => ({ appId: 'app', traceId: `parked-${i}` }))).compile(),
      index: /relay_traces_/,
    },
  ];

  for (const stats of ['without', 'with'] as const) {
    it(`seeks ${stats} planner statistics`, async () => {
      if (stats === 'with') await raw.analyze();
      for (const { name, query, index } of cases) {
        const plan = await raw.explain(query());
        const shown = `${name}:\n  ${plan.join('\n  ')}`;
        expect(plan.some((line) => FULL_SCAN.test(line)), shown).toBe(false);
        expect(plan.join('\n'), shown).toMatch(index);
      }
    });
  }
});

async function seed(raw: RawDatabase): Promise<void> {
  const chunk = 500;
  const rows = (count: number, row: (i: number) => string) => {
    const batches: string[] = [];
    for (let start = 0; start < count; start += chunk) {
      batches.push(Array.from({ length: Math.min(chunk, count - start) }, (_, k) => row(start + k)).join(', '));
    }
    return batches;
  };
  // Pushes for traces nobody registered: they stay parked for the whole grace window.
  for (const values of rows(PARKED, (i) => `('cb-${String(i).padStart(6, '0')}', 'app', 'parked-${i}', 'id:parked-${i}', 'event/wxa_media_check', 'application/json', '{}', 'f', 'parked', 0, ${NOW + i}, ${NOW + 3_600_000 + i})`)) {
    await raw.exec(`insert into relay_callbacks (id, app_id, correlation_id, dedupe_key, event, content_type, body, fingerprint, state, duplicate_count, received_at, parked_until) values ${values}`);
  }
  for (const values of rows(PENDING, (i) => `('tr-${String(i).padStart(6, '0')}', 'app', 'pending-${i}', 'http://127.0.0.1:1/cb', 'pending', null, null, 0, 0, ${NOW + i}, ${NOW + i}, ${NOW + 1_800_000 + i})`)) {
    await raw.exec(`insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at) values ${values}`);
  }
  for (const values of rows(PENDING, (i) => `('dl-${String(i).padStart(6, '0')}', 'app', 'done-${i}', 'http://127.0.0.1:1/cb', 'delivered', null, null, 0, 0, ${NOW - 100_000 + i}, ${NOW - 100_000 + i}, ${NOW + i})`)) {
    await raw.exec(`insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at) values ${values}`);
  }
}
