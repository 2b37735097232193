import type { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.ts';
import { selectTracesByIds, selectExpiredParked, selectParkedFor, selectParkedPage } from '../../src/storage/kysely/parked-callbacks.ts';
import { selectDueWithStatus, selectNextDue } from '../../src/storage/kysely/claim-deliveries.ts';
import { markTracesDelivered, selectLeases } from '../../src/storage/kysely/complete-attempt.ts';
import { selectOverdue } from '../../src/storage/kysely/expire-overdue.ts';
import { selectRetiredTraces } from '../../src/storage/kysely/purge-retired.ts';
import { ingestBatchQuery } from '../../src/storage/postgres/ingest-in-one-statement.ts';
import { completeBatchQuery } from '../../src/storage/postgres/complete-in-one-statement.ts';
import { moveWaitingTraces, selectBatchTraces } from '../../src/storage/kysely/ingest-in-one-transaction.ts';
import { traceByKey } from '../../src/storage/kysely/trace-lookup.ts';
import { MYSQL_TRAITS } from '../../src/storage/mysql/open-mysql-store.ts';
import { POSTGRES_TRAITS } from '../../src/storage/postgres/open-postgres-store.ts';
import { SQLITE_TRAITS } from '../../src/storage/sqlite/open-sqlite-store.ts';
import { createBackendDatabase } from '../helpers/relay-harness.ts';
import { compilingDb, openRawDatabase, type RawDatabase } from '../helpers/query-plans.ts';
import { currentBackend } from '../helpers/test-backends.ts';

const PARKED = 20_000;
const PENDING = 5_000;
/** Deliveries by status: most done, some failed, a few due or in flight, as on a working relay. */
const DELIVERIES = { delivered: 20_000, failed: 2_000, pending: 1_000, delivering: 500 } as const;
const TRAITS = { sqlite: SQLITE_TRAITS, postgres: POSTGRES_TRAITS, mysql: MYSQL_TRAITS } as const;
const NOW = 1_800_000_000_000;

/** A seek by primary key, in each backend's words. */
const BY_PRIMARY_KEY = (table: string) => new RegExp(`sqlite_autoindex_${table}_1|${table}(_v2)?_pkey|key=PRIMARY`);

/** A sort of the rows read, in each backend's words: an ordered read cut at a limit must come in index order. */
const SORTS = /USE TEMP B-TREE FOR ORDER BY|^\s*(->\s+)?(Incremental )?Sort\b|Using filesort/;

/** A full read of a relay table, in each backend's words. */
const FULL_SCAN = /^SCAN relay_|Seq Scan on relay_|type=ALL/;

/**
 * Every secondary index of the relay's tables and the query that needs it: an
 * index costs every write of its table, so one that no query reads is dropped,
 * and a new one is added here with its reader. The hot path's are checked
 * against the plans below; the dashboard's are timed by `npm run bench:dashboard`.
 */
const INDEX_READERS: Record<string, string> = {
  relay_traces_app_trace_uq: 'a push or a registration finds its trace by (app, trace id); one trace per id',
  relay_traces_status_deadline_ix: 'the sweep reads overdue registrations',
  relay_traces_status_updated_ix: 'retention reads retired traces oldest first',
  relay_traces_status_created_ix: 'a redrive pages failed traces; the dashboard filters traces by status',
  relay_traces_created_id_ix: 'the dashboard pages every trace, newest first',
  relay_traces_app_created_ix: 'the dashboard pages the traces of one app',
  relay_traces_uri_created_ix: 'the dashboard pages the traces of one server',
  relay_traces_trace_id_ix: 'the dashboard finds a trace id across apps',
  relay_callbacks_app_dedupe_uq: 'a repeated push is recognised and never forwarded twice',
  relay_callbacks_parked_lookup_ix: 'a registration looks up its parked push; the trace page lists its pushes; retention removes them',
  relay_callbacks_state_parked_ix: 'the sweep expires parked pushes past their grace',
  relay_callbacks_state_received_ix: 'the adoption pass pages parked pushes; retention reads stray pushes by age',
  relay_callbacks_received_ix: 'the dashboard pages pushes, newest first, and counts them per minute',
  relay_deliveries_status_due_ix: 'the worker claims due deliveries and asks when the next is due',
  relay_deliveries_trace_ix: 'the trace page lists its deliveries; retention checks a trace has none open',
  relay_deliveries_callback_ix: 'a routed event\'s page lists its deliveries; retention removes them',
  relay_deliveries_kind_status_updated_ix: 'the activity chart counts finished deliveries per minute',
  relay_deliveries_destination_status_ix: 'destination health counts open deliveries per destination',
  relay_deliveries_kind_created_ix: 'the activity chart counts timeout notices per minute',
  relay_attempts_trace_ix: 'the trace page lists its attempts; retention removes them',
  relay_attempts_delivery_ix: 'a routed event\'s page lists its attempts; retention removes them',
  relay_attempts_started_ix: 'destination health reads the latest attempts per destination',
  relay_audit_log_at_ix: 'the audit log pages its entries, newest first',
};

/**
 * The hot queries seek, never scan, on a database holding a realistic mix
 * (mostly parked pushes nobody registered, pending and finished traces,
 * deliveries mostly done, some failed, a few due or in flight), both before the
 * planner has statistics and after: a relay's database is young for a while.
 */
describe(`query plans on ${currentBackend()}`, () => {
  const db = compilingDb(currentBackend());
  const traits = TRAITS[currentBackend()];
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

  /**
   * `byKeyOnly`: every read of these tables must be a primary-key seek. A batch
   * statement joined as a set can pass the other checks with an index range that
   * still walks every row in flight once per element of the batch.
   */
  const cases: Array<{ name: string; query: () => CompiledQuery; index: RegExp; byKeyOnly?: string[]; isInIndexOrder?: boolean; postgresNeedsStatistics?: boolean }> = [
    { name: 'a registration looks up its parked push', query: () => selectParkedFor(db, 'app', 'parked-77', NOW).compile(), index: /relay_callbacks_parked_lookup_ix/ },
    { name: 'the adoption pass reads a page of recent parked pushes', query: () => selectParkedPage(db, { receivedAt: NOW + PARKED - 100, id: '' }, 500).compile(), index: /relay_callbacks_(state_)?received_ix/ },
    {
      name: 'the adoption pass reads the page\'s traces by key',
      query: () => selectTracesByIds(db, Array.from({ length: 50 }, (_, i) => `parked-${i}`)).compile(),
      index: /relay_traces_trace_id_ix/,
      postgresNeedsStatistics: true,
    },
    // PostgreSQL may prefer the trace_id index when every trace has one app: a seek all the same.
    { name: 'a push looks up its trace', query: () => traceByKey(db, 'app', 'pending-77').compile(), index: /relay_traces_app_trace_uq|relay_traces_trace_id_ix/ },
    { name: 'the worker claims due pending deliveries', query: () => selectDueWithStatus(db, traits, 'pending', NOW, 64, undefined).compile(), index: /relay_deliveries_status_due_ix/, isInIndexOrder: true, postgresNeedsStatistics: true },
    { name: 'the worker takes over leases that ran out', query: () => selectDueWithStatus(db, traits, 'delivering', NOW, 64, undefined).compile(), index: /relay_deliveries_status_due_ix/, isInIndexOrder: true, postgresNeedsStatistics: true },
    {
      name: 'a worker with dev-tunnel listeners claims within its scope',
      query: () => selectDueWithStatus(db, traits, 'pending', NOW, 64, { tunnelNames: ['alice'], tunnelWaitEndedAt: NOW - 30_000 }).compile(),
      index: /relay_deliveries_status_due_ix/,
    },
    // MySQL answers MIN from the index's end without reading a row ("optimized away").
    { name: 'the worker asks when the next delivery is due', query: () => selectNextDue(db, 'pending', undefined).compile(), index: /relay_deliveries_status_due_ix|Select tables optimized away/ },
    {
      name: 'a completion batch reads its leases',
      query: () => selectLeases(db, traits, Array.from({ length: 32 }, (_, i) => `dv-pending-${String(i).padStart(6, '0')}`)).compile(),
      index: BY_PRIMARY_KEY('relay_deliveries'),
    },
    // The batch transaction of the databases without PostgreSQL's one statement (MariaDB).
    ...(currentBackend() !== 'postgres' ? [
      {
        name: 'a batch of pushes reads its traces',
        query: () => selectBatchTraces(db, Array.from({ length: 32 }, (_, i) => ({
          input: { appId: 'app', correlationId: i % 2 ? `pending-${i}` : `new-${i}`, dedupeKey: `id:x-${i}`, event: 'event/wxa_media_check', contentType: 'application/json', body: '{}', fingerprint: 'f' },
          now: NOW, parkedUntil: NOW + 60_000, lease: undefined, callbackId: `cb-new-${i}`, deliveryId: `dv-new-${i}`,
        })), !traits.groupsCommits).compile(),
        index: /relay_traces_trace_id_ix/,
      },
      // PostgreSQL records a delivered batch in one statement (below).
      {
        name: 'a completion batch marks its traces delivered',
        query: () => markTracesDelivered(db, Array.from({ length: 32 }, (_, i) => `tr-${String(i).padStart(6, '0')}`), NOW).compile(),
        index: BY_PRIMARY_KEY('relay_traces'),
        byKeyOnly: ['relay_traces'],
      },
      {
        name: 'a batch of pushes moves its waiting traces',
        query: () => moveWaitingTraces(db, Array.from({ length: 32 }, (_, i) => ({ tracePk: `tr-${String(i).padStart(6, '0')}`, callbackId: `cb-new-${i}`, isLate: false, now: NOW }))).compile(),
        index: BY_PRIMARY_KEY('relay_traces'),
        byKeyOnly: ['relay_traces'],
      },
    ] : []),
    ...(currentBackend() === 'postgres' ? [{
      name: 'a batch of pushes is stored in one statement',
      query: () => {
        const pushes = Array.from({ length: 32 }, (_, i) => ({
          input: { appId: 'app', correlationId: i % 2 ? `pending-${i}` : `new-${i}`, dedupeKey: `id:x-${i}`, event: 'event/wxa_media_check', contentType: 'application/json', body: '{}', fingerprint: 'f' },
          now: NOW, parkedUntil: NOW + 60_000, lease: { owner: 'w', leaseMs: 30_000 }, callbackId: `cb-new-${i}`, deliveryId: `dv-new-${i}`,
        }));
        const { text, values } = ingestBatchQuery(pushes);
        return { sql: text, parameters: values } as unknown as CompiledQuery;
      },
      // Each push's trace by its key, as a single push's look-up (see above).
      index: /relay_traces_app_trace_uq|relay_traces_trace_id_ix/,
    }, {
      name: 'a batch of delivered attempts is recorded in one statement',
      query: () => {
        const completions = Array.from({ length: 32 }, (_, i) => ({
          claim: { id: `dv-delivering-${String(i).padStart(6, '0')}`, tracePk: `tr-${String(i).padStart(6, '0')}`, attempt: 1, leaseOwner: 'w', kind: 'callback' },
          record: { startedAt: NOW, durationMs: 3, httpStatus: 200, outcome: 'delivered', errorMessage: null, responseExcerpt: null },
          verdict: { kind: 'delivered' },
        }));
        const { text, values } = completeBatchQuery(completions as unknown as Parameters<typeof completeBatchQuery>[0], NOW);
        return { sql: text, parameters: values } as unknown as CompiledQuery;
      },
      index: BY_PRIMARY_KEY('relay_deliveries'),
      byKeyOnly: ['relay_deliveries', 'relay_traces'],
    }] : []),
    { name: 'the sweep reads overdue registrations', query: () => selectOverdue(db, traits, NOW + 1_800_000 + 100, 500).compile(), index: /relay_traces_status_deadline_ix/ },
    { name: 'the sweep expires parked pushes past their grace', query: () => selectExpiredParked(db, NOW + 3_600_000 + 100, 500).compile(), index: /relay_callbacks_state_parked_ix/ },
    { name: 'retention reads retired traces oldest first', query: () => selectRetiredTraces(db, traits, 'delivered', NOW - 90_000, 200).compile(), index: /relay_traces_status_updated_ix/ },
  ];

  it('carries only indexes that a named query reads', async () => {
    expect((await raw.indexes()).sort()).toEqual(Object.keys(INDEX_READERS).sort());
  });

  for (const stats of ['without', 'with'] as const) {
    it(`seeks ${stats} planner statistics`, async () => {
      if (stats === 'with') await raw.analyze();
      for (const { name, query, index, byKeyOnly = [], isInIndexOrder = false, postgresNeedsStatistics = false } of cases) {
        // PostgreSQL without statistics guesses a handful of rows for any equality
        // and picks a bitmap read, a sort or a full read for these; it has
        // statistics from the relay's start (see analyzeIfNeverAnalyzed) and from
        // autovacuum's first pass over a table that grew from empty.
        if (postgresNeedsStatistics && currentBackend() === 'postgres' && stats === 'without') continue;
        const plan = await raw.explain(query());
        const shown = `${name}:\n  ${plan.join('\n  ')}`;
        expect(plan.some((line) => FULL_SCAN.test(line)), shown).toBe(false);
        expect(plan.join('\n'), shown).toMatch(index);
        if (isInIndexOrder) expect(plan.some((line) => SORTS.test(line)), shown).toBe(false);
        for (const table of byKeyOnly) {
          const reads = plan.filter((line) => new RegExp(`Scan.* on ${table}\\b`).test(line));
          expect(reads.filter((line) => !BY_PRIMARY_KEY(table).test(line)), shown).toEqual([]);
        }
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
  for (const [status, count] of Object.entries(DELIVERIES)) {
    const due = status === 'delivered' || status === 'failed' ? NOW - 50_000 : NOW - 10;
    for (const values of rows(count, (i) => `('dv-${status}-${String(i).padStart(6, '0')}', 'dl-${String(i % PENDING).padStart(6, '0')}', 'callback', 'http://127.0.0.1:1/cb', null, 'application/json', '{}', 0, '${status}', 1, ${due + i}, null, ${NOW - 60_000 + i}, ${NOW - 60_000 + i}, null, null, null, null)`)) {
      await raw.exec(`insert into relay_deliveries (id, trace_pk, kind, destination, callback_id, content_type, body, is_late, status, attempt_count, next_attempt_at, lease_owner, created_at, updated_at, source, requested_by, app_id, route_name) values ${values}`);
    }
  }
  for (const values of rows(PENDING, (i) => `('dl-${String(i).padStart(6, '0')}', 'app', 'done-${i}', 'http://127.0.0.1:1/cb', 'delivered', null, null, 0, 0, ${NOW - 100_000 + i}, ${NOW - 100_000 + i}, ${NOW + i})`)) {
    await raw.exec(`insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at) values ${values}`);
  }
}
