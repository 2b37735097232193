// `npm run bench` (second part): the deadline sweep against the number pending,
// and the relay's memory with a million pending registrations.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { DeadlineSweeper } from '../src/deadline/deadline-sweeper.ts';
import { RelayMetrics } from '../src/metrics/relay-metrics.ts';
import { openSqliteStore } from '../src/storage/sqlite/open-sqlite-store.ts';
import { RELAY_BIN, startProcess } from './lib/processes.ts';
import { appendResults, figuresTable, type Figure } from './lib/report.ts';
import { seedPendingTraces } from './lib/seed-database.ts';
import { round } from './lib/stats.ts';

const SIZES = (process.env.BENCH_SWEEP_SIZES ?? '10000,100000,1000000').split(',').map(Number);

/** Times one full sweep pass that times out 1 % of `pending` traces. */
async function timeSweep(dir: string, pending: number): Promise<number> {
  const file = join(dir, `sweep-${pending}.db`);
  const now = Date.now();
  await seedPendingTraces(file, { count: pending, serverUri: 'http://127.0.0.1:9/cb', expiredShare: 0.01, now });
  const store = openSqliteStore({ filename: file, synchronous: 'full' });
  const sweeper = new DeadlineSweeper({ intervalMs: 1000, batchSize: 500 }, {
    store, clock: { now: () => now }, logger: pino({ level: 'silent' }), metrics: new RelayMetrics(), onNewDeliveries: () => undefined,
  });
  const started = performance.now();
  const expired = await sweeper.sweepOnce();
  const elapsed = performance.now() - started;
  await store.close();
  if (expired !== Math.ceil(pending / 100)) throw new Error(`expected ${pending / 100} expired, got ${expired}`);
  return elapsed;
}

/** RSS of a relay process whose database holds `pending` registrations, after serving some traffic. */
async function relayRss(dir: string, pending: number): Promise<number> {
  const file = join(dir, 'rss.db');
  await seedPendingTraces(file, { count: pending, serverUri: 'http://127.0.0.1:9/cb', prefix: 'rss' });
  const relay = await startProcess(RELAY_BIN, ['start'], { DATABASE_URL: `sqlite:${file}`, HOST: '127.0.0.1', PORT: '0', RELAY_RETRY_SCHEDULE: '1h', RELAY_ACCEPT_UNSIGNED_PUSHES: 'true' });
  try {
    for (let i = 0; i < 2000; i += 1) {
      const response = await request(`${relay.url}/api/moderate/trace/rss-${i * 400}`);
      await response.body.dump();
    }
    const metrics = await request(`${relay.url}/metrics`);
    await metrics.body.dump();
    return relay.rssMb();
  } finally {
    await relay.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-scale-'));
  const figures: Figure[] = [];
  try {
    const times: number[] = [];
    for (const size of SIZES) {
      const ms = await timeSweep(dir, size);
      times.push(ms / (size / 100));
      figures.push({ name: `sweep pass, ${size.toLocaleString('en')} pending, 1 % expired`, value: `${round(ms, 1)} ms (${round((ms * 1000) / (size / 100), 1)} µs per expired trace)`, goal: 'flat per expired trace', isMet: null });
      console.log(figures.at(-1));
    }
    const flatness = Math.max(...times) / Math.min(...times);
    figures.push({ name: 'sweep cost per expired trace, largest ÷ smallest', value: String(round(flatness)), goal: '≈ 1 (cost follows expired, not pending)', isMet: flatness < 3 });
    const largest = Math.max(...SIZES);
    const rss = await relayRss(dir, largest);
    figures.push({ name: `relay RSS with ${largest.toLocaleString('en')} pending registrations`, value: `${round(rss, 0)} MB`, goal: '≤ 300 MB', isMet: rss <= 300 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const body = figuresTable(figures);
  console.log(`\n${body}`);
  appendResults('bench/RESULTS.md', 'Deadline sweep and memory at scale', body);
}

await main();
