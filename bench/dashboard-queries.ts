/**
 * Seeds a SQLite store with BENCH_TRACES traces (default 1 000 000) and a
 * delivery, attempt and push for most of them, then times the dashboard's reads
 * and prints SQLite's query plans. Run: `npm run bench:dashboard`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore } from '../src/storage/sqlite/open-sqlite-store.ts';
import type { TraceFilter } from '../src/storage/relay-store.ts';

const TRACES = Number(process.env.BENCH_TRACES ?? 1_000_000);
const T0 = Date.UTC(2026, 0, 1);
const STATUSES = ['delivered', 'delivered', 'delivered', 'delivered', 'failed', 'timed_out', 'pending'];
const DESTINATIONS = ['http://test.local/cb', 'http://prod.local/cb', 'http://staging.local/cb', 'http://a.local/cb', 'http://b.local/cb'];

function seed(file: string): void {
  const db = new DatabaseSync(file);
  const trace = db.prepare('insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at) values (?,?,?,?,?,?,?,?,?,?,?,?)');
  const callback = db.prepare('insert into relay_callbacks (id, app_id, correlation_id, dedupe_key, event, content_type, body, fingerprint, state, duplicate_count, received_at, parked_until) values (?,?,?,?,?,?,?,?,?,?,?,?)');
  const delivery = db.prepare('insert into relay_deliveries (id, trace_pk, kind, destination, callback_id, content_type, body, is_late, status, attempt_count, next_attempt_at, lease_owner, created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
  const attempt = db.prepare('insert into relay_attempts (id, delivery_id, trace_pk, attempt_no, started_at, duration_ms, http_status, outcome, error_message, response_excerpt) values (?,?,?,?,?,?,?,?,?,?)');
  db.exec('begin');
  for (let index = 0; index < TRACES; index++) {
    // One registration every ~2.6 s over a month.
    const at = T0 + index * 2600;
    const status = STATUSES[index % STATUSES.length] as string;
    const destination = DESTINATIONS[index % DESTINATIONS.length] as string;
    const id = `t${index}`;
    trace.run(id, `wx${index % 3}`, `trace-${index.toString(36)}`, destination, status, status === 'failed' ? 'BIZ_SERVER_ERROR' : null, null, 0, 0, at, at, at + 1_800_000);
    if (status === 'pending') continue;
    const isTimeout = status === 'timed_out';
    if (!isTimeout) callback.run(`c${index}`, `wx${index % 3}`, `trace-${index.toString(36)}`, `trace:${index}`, 'wxa_media_check', 'application/json', '{}', 'f', 'matched', 0, at + 1000, null);
    delivery.run(`d${index}`, id, isTimeout ? 'timeout' : 'callback', destination, null, 'application/json', '{}', 0, status === 'failed' ? 'failed' : 'delivered', 1, at + 2000, null, at + 2000, at + 2000);
    attempt.run(`a${index}`, `d${index}`, id, 1, at + 2000, 15, status === 'failed' ? 500 : 200, status === 'failed' ? 'http_error' : 'success', null, null);
  }
  db.exec('commit');
  db.exec('analyze');
  db.close();
}

async function time<T>(label: string, run: () => Promise<T>): Promise<T> {
  await run();
  const runs = 20;
  const started = performance.now();
  let result: T | undefined;
  for (let index = 0; index < runs; index++) result = await run();
  console.log(`${label.padEnd(56)} ${((performance.now() - started) / runs).toFixed(2).padStart(8)} ms`);
  return result as T;
}

function explain(file: string, statement: string): void {
  const db = new DatabaseSync(file);
  const plan = db.prepare(`explain query plan ${statement}`).all().map((row) => `    ${String(row.detail)}`);
  console.log(`  ${statement}\n${plan.join('\n')}`);
  db.close();
}

const dir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
const file = join(dir, 'relay.db');
try {
  const store = openSqliteStore({ filename: file, synchronous: 'normal' });
  await store.migrate();
  const started = performance.now();
  seed(file);
  console.log(`seeded ${TRACES} traces in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const end = T0 + TRACES * 2600;
  const filters: [string, TraceFilter][] = [
    ['all, first page', {}],
    ['status=failed', { status: 'failed' }],
    ['app=wx1', { appId: 'wx1' }],
    ['destination=prod', { destination: 'http://prod.local/cb' }],
    ['status=timed_out, app=wx2, destination=test', { status: 'timed_out', appId: 'wx2', destination: 'http://test.local/cb' }],
    ['last day', { createdFrom: end - 86_400_000, createdTo: end }],
    ['trace id prefix', { traceIdPrefix: 'trace-ab' }],
  ];
  for (const [label, filter] of filters) {
    const page = await time(`listTraces ${label}`, () => store.listTraces(filter, null, 50));
    if (page.next) await time(`listTraces ${label}, page 2`, () => store.listTraces(filter, page.next, 50));
  }
  // A page deep in the history: keyset paging costs the same there.
  await time('listTraces all, page at the oldest end', () => store.listTraces({}, { createdAt: T0 + 1000 * 2600, pk: 't1000' }, 50));
  await time('summarizeDestinations last hour', () => store.summarizeDestinations(end - 3_600_000, 50));
  await time('summarizeDestinations last 24 h', () => store.summarizeDestinations(end - 86_400_000, 50));
  await time('countActivity last 24 h, 48 buckets', () => store.countActivity(end - 86_400_000, end, 1_800_000));
  await time('countActivity last 7 days, 168 buckets', () => store.countActivity(end - 7 * 86_400_000, end, 3_600_000));
  await store.close();
  console.log('\nquery plans:');
  explain(file, "select * from relay_traces where status = 'failed' and (created_at, id) < (1, 'x') order by created_at desc, id desc limit 51");
  explain(file, "select * from relay_traces where app_id = 'wx1' and server_uri = 'http://prod.local/cb' order by created_at desc, id desc limit 51");
  explain(file, "select * from relay_traces where trace_id >= 'trace-ab' and trace_id < 'trace-ac' order by created_at desc, id desc limit 51");
  explain(file, "select destination, count(*) from relay_deliveries where status in ('pending', 'delivering') and destination in ('a', 'b') group by destination");
  explain(file, 'select d.destination, a.started_at, a.http_status, a.outcome from relay_attempts a join relay_deliveries d on d.id = a.delivery_id where a.started_at in (1, 2, 3)');
  explain(file, 'select d.destination, count(*) from relay_attempts a join relay_deliveries d on d.id = a.delivery_id where a.started_at >= 1 group by d.destination');
  explain(file, "select status, cast((updated_at - 1) / 60000 as integer) as bucket, count(*) from relay_deliveries where kind = 'callback' and status in ('delivered','failed') and updated_at >= 1 and updated_at < 2 group by status, bucket");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
