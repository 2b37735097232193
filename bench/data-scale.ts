// `npm run bench:scale`: whether the relay's costs stay flat as its data grows.
// The same relay on two databases, interleaved round by round: one empty but for
// the registrations the forwarding case needs, one that has run for a while (1 M
// pushes parked for ids nobody registered, 1 M traces long delivered, each with its
// push, delivery and attempt). Then the deadline sweep with 1 M pending
// registrations, against the forwarding pace, and the relay's memory while it
// holds them. BENCH_BACKEND as for `npm run bench` (sqlite, postgres, mysql or a
// comma list); BENCH_SCALE_ROWS sets the 1 M; BENCH_SCALE_PARTS=rates or =notices runs one part.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { sha1Sorted } from '../src/providers/wechat/signature.ts';
import { backendLabel, benchBackends, type BenchBackend } from './lib/bench-backends.ts';
import { closedLoop } from './lib/closed-loop.ts';
import { pushLoad } from './lib/load.ts';
import { RELAY_BIN, startProcess, type ServerProcess } from './lib/processes.ts';
import { appendResults, figuresTable, type Figure } from './lib/report.ts';
import { seedHistory, type HistoryShape } from './lib/seed-history.ts';
import { median, round, spreadPercent } from './lib/stats.ts';
import { createTestDatabase } from '../test/helpers/test-backends.ts';

const ROWS = Number(process.env.BENCH_SCALE_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
/** Registrations seeded for each round's forwarding case: more than one case sends. */
const REGISTERED_PER_ROUND = 40_000;
/** One pending registration in 50 is past its deadline when the relay starts: 20 k of 1 M. */
const EXPIRED_EVERY = 50;
const NOTICE_WAIT_S = 300;
const PARTS = new Set((process.env.BENCH_SCALE_PARTS ?? 'rates,notices').split(',').map((part) => part.trim()));

const TOKEN = 'scale-token';
const signedQuery = (): string => {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  return `signature=${sha1Sorted([TOKEN, timestamp, nonce])}&timestamp=${timestamp}&nonce=${nonce}`;
};
const pushBody = (traceId: string) =>
  `{"ToUserName":"gh_9df7d78a1234","FromUserName":"o4_t144jTUSEoxydysUA2E234_tc","CreateTime":1626959646,"MsgType":"event","Event":"wxa_media_check","appid":"wx8f16a5be77871234","trace_id":"${traceId}","version":2,"detail":[],"errcode":0,"errmsg":"ok","result":{"suggest":"pass","label":100}}`;

interface Rates {
  registrationsPerSecond: number;
  ingestPerSecond: number;
  forwardedPerSecond: number;
}

interface Database {
  url: string;
  drop(): Promise<void>;
}

async function newDatabase(backend: BenchBackend, dir: string, name: string): Promise<Database> {
  if (backend !== 'sqlite') return createTestDatabase(backend, 'relay_scale');
  const file = join(dir, `${name}.db`);
  return { url: `sqlite:${file}`, drop: async () => { for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true }); } };
}

async function seeded(backend: BenchBackend, dir: string, name: string, shape: HistoryShape): Promise<Database & { seedS: number }> {
  const database = await newDatabase(backend, dir, name);
  const started = performance.now();
  try {
    await seedHistory(database.url, shape);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return { ...database, seedS: (performance.now() - started) / 1000 };
}

const startRelay = (url: string) => startProcess(RELAY_BIN, ['start'], {
  DATABASE_URL: url, HOST: '127.0.0.1', PORT: '0', WECHAT_TOKEN: TOKEN,
  // Parked pushes stay parked for the whole run; registrations are not rate limited here.
  RELAY_PARKED_GRACE_S: '7200', RELAY_REGISTRATION_RATE_LIMIT: '100000000',
});

async function sinkCount(sink: ServerProcess): Promise<number> {
  const response = await request(`${sink.url}/count`);
  return ((await response.body.json()) as { received: number }).received;
}

/** Registration, ingest and forwarding rates of one relay on `url`, each for DURATION_S. */
async function measureRates(url: string, sink: ServerProcess, round: number, tag: string): Promise<Rates> {
  const relay = await startRelay(url);
  try {
    let started = performance.now();
    const registrations = await closedLoop(relay.url, {
      path: '/api/moderate/trace', connections: 16, durationMs: DURATION_S * 1000,
      body: (index) => JSON.stringify({ trace_id: `reg-${tag}-${round}-${index}`, server_uri: `${sink.url}/cb` }),
    });
    const registrationsPerSecond = registrations / ((performance.now() - started) / 1000);

    const ingest = await pushLoad(relay.url, { connections: 64, durationS: DURATION_S, query: signedQuery, body: (index) => pushBody(`ingest-${tag}-${round}-${index}`) });
    if (ingest.non2xx + ingest.errors > 0) throw new Error(`ingest: ${ingest.non2xx} non-2xx, ${ingest.errors} errors`);

    const offset = (round - 1) * REGISTERED_PER_ROUND;
    const before = await sinkCount(sink);
    started = performance.now();
    const forward = await pushLoad(relay.url, { connections: 64, durationS: DURATION_S, query: signedQuery, body: (index) => pushBody(`fwd-${offset + Math.min(index, REGISTERED_PER_ROUND - 1)}`) });
    const expected = Math.min(forward.total, REGISTERED_PER_ROUND);
    if (forward.total > REGISTERED_PER_ROUND) console.warn(`!!! ${forward.total} forwarding pushes for ${REGISTERED_PER_ROUND} registrations: raise REGISTERED_PER_ROUND`);
    const drainUntil = performance.now() + 180_000;
    while ((await sinkCount(sink)) - before < expected && performance.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 50));
    const forwardedPerSecond = ((await sinkCount(sink)) - before) / ((performance.now() - started) / 1000);
    return { registrationsPerSecond, ingestPerSecond: ingest.requestsPerSecond, forwardedPerSecond };
  } finally {
    await relay.stop();
  }
}

/**
 * A relay started on a database with `pending` registrations of which one in
 * EXPIRED_EVERY is overdue: the pace at which their timeout notices reach the
 * business server (first to last), and the relay's RSS once they have.
 */
async function measureNotices(url: string, sink: ServerProcess, expected: number): Promise<{ noticesPerSecond: number; rssMb: number }> {
  const before = await sinkCount(sink);
  const relay = await startRelay(url);
  try {
    const giveUpAt = performance.now() + NOTICE_WAIT_S * 1000;
    let first: number | undefined;
    let received = 0;
    while (received < expected && performance.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      received = (await sinkCount(sink)) - before;
      if (received > 0) first ??= performance.now();
    }
    if (received < expected) throw new Error(`only ${received} of ${expected} timeout notices within ${NOTICE_WAIT_S} s`);
    const noticesPerSecond = (received - 1) / ((performance.now() - first!) / 1000);
    // A few reads of the kind an operator makes, as the memory figure should include them.
    for (let i = 0; i < 200; i += 1) await (await request(`${relay.url}/api/moderate/trace/notice-${i * 5000}`)).body.dump();
    await (await request(`${relay.url}/metrics`)).body.dump();
    return { noticesPerSecond, rssMb: relay.rssMb() };
  } finally {
    await relay.stop();
  }
}

const show = (values: number[]) => `${Math.round(median(values))}/s (±${round(spreadPercent(values), 0)} %)`;

async function runBackend(backend: BenchBackend, sink: ServerProcess, dir: string): Promise<void> {
  const label = await backendLabel(backend);
  const now = Date.now();
  const forwardable = { pending: ROUNDS * REGISTERED_PER_ROUND, pendingPrefix: 'fwd', serverUri: `${sink.url}/cb`, now };
  const rates: Record<'empty' | 'full', Rates[]> = { empty: [], full: [] };
  if (PARTS.has('rates')) await measureBoth(backend, sink, dir, rates, { ...forwardable, parked: 0, delivered: 0 }, { ...forwardable, parked: ROWS, delivered: ROWS });
  let notices: { noticesPerSecond: number; rssMb: number } | undefined;
  if (PARTS.has('notices')) {
    console.log(`${label}: seeding ${ROWS.toLocaleString('en')} pending registrations, ${Math.round(ROWS / EXPIRED_EVERY).toLocaleString('en')} of them overdue …`);
    const pending = await seeded(backend, dir, 'pending', { parked: 0, delivered: 0, pending: ROWS, pendingPrefix: 'notice', expiredEvery: EXPIRED_EVERY, serverUri: `${sink.url}/cb`, now: Date.now() });
    try {
      notices = await measureNotices(pending.url, sink, Math.ceil(ROWS / EXPIRED_EVERY));
    } finally {
      await pending.drop();
    }
  }
  report(label, rates, notices);
}

/** The rates on the empty and the full database, ROUNDS rounds, interleaved with the order alternating. */
async function measureBoth(backend: BenchBackend, sink: ServerProcess, dir: string, rates: Record<'empty' | 'full', Rates[]>, emptyShape: HistoryShape, fullShape: HistoryShape): Promise<void> {
  console.log(`seeding an empty database and one with ${ROWS.toLocaleString('en')} parked and ${ROWS.toLocaleString('en')} delivered …`);
  const empty = await seeded(backend, dir, 'empty', emptyShape);
  const full = await seeded(backend, dir, 'full', fullShape);
  console.log(`  seeded in ${round(empty.seedS, 1)} s and ${round(full.seedS, 1)} s`);
  try {
    for (let r = 1; r <= ROUNDS; r += 1) {
      // The order alternates, so neither database always runs on a warmer machine.
      const order = r % 2 === 1 ? (['empty', 'full'] as const) : (['full', 'empty'] as const);
      for (const which of order) {
        const result = await measureRates(which === 'empty' ? empty.url : full.url, sink, r, which);
        console.log(`  round ${r}, ${which}: ${JSON.stringify(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Math.round(v)])))}`);
        rates[which].push(result);
      }
    }
  } finally {
    await empty.drop();
    await full.drop();
  }
}

function report(label: string, rates: Record<'empty' | 'full', Rates[]>, notices: { noticesPerSecond: number; rssMb: number } | undefined): void {
  const figures: Figure[] = [];
  const ratios = (metric: keyof Rates) => rates.full.map((result, i) => result[metric] / rates.empty[i]![metric]);
  for (const [metric, name] of rates.empty.length === 0 ? [] : [['registrationsPerSecond', 'registrations'], ['ingestPerSecond', 'durable ingest (ids nobody registered)'], ['forwardedPerSecond', 'sustained forwarded verdicts']] as const) {
    const ratio = ratios(metric);
    figures.push({
      name: `${name}: empty → ${ROWS.toLocaleString('en')} parked + ${ROWS.toLocaleString('en')} delivered`,
      value: `${show(rates.empty.map((result) => result[metric]))} → ${show(rates.full.map((result) => result[metric]))}; ratio ${round(median(ratio))} (±${round(spreadPercent(ratio), 0)} %)`,
      goal: '≥ 0.7', isMet: median(ratio) >= 0.7,
    });
  }
  if (notices) {
    const forwardPace = median(rates.empty.map((result) => result.forwardedPerSecond));
    const noticeRatio = notices.noticesPerSecond / forwardPace;
    const name = `timeout notices delivered with ${ROWS.toLocaleString('en')} pending (${Math.round(ROWS / EXPIRED_EVERY).toLocaleString('en')} overdue)`;
    figures.push(rates.empty.length > 0
      ? { name: `${name} ÷ forwarding pace`, value: `${Math.round(notices.noticesPerSecond)}/s ÷ ${Math.round(forwardPace)}/s = ${round(noticeRatio)}`, goal: '≥ 0.5', isMet: noticeRatio >= 0.5 }
      : { name, value: `${Math.round(notices.noticesPerSecond)}/s`, goal: '≥ 0.5 × the forwarding pace (not measured in this run)', isMet: null });
    figures.push({ name: `relay RSS with ${ROWS.toLocaleString('en')} pending registrations, after their notices`, value: `${Math.round(notices.rssMb)} MB`, goal: '≤ 300 MB', isMet: notices.rssMb <= 300 });
  }
  const body = `${ROUNDS} rounds, the empty and the full database interleaved (order alternating), ${DURATION_S} s per case: registrations on 16 connections, signed plain-mode pushes on 64; medians with spreads, relay on ${label}.\n\n${figuresTable(figures)}\n`;
  console.log(`\n${body}`);
  appendResults('bench/RESULTS.md', `Costs against the size of the data, ${label}`, body);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-scale-'));
  const sink = await startProcess('bench/servers/sink-server.ts', [], {});
  try {
    for (const backend of benchBackends()) await runBackend(backend, sink, dir);
  } finally {
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
