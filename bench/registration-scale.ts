// `npm run bench:registration`: registrations per second as pushes nobody
// registered pile up (they stay parked for the whole grace window). The cost of a
// registration must not follow the number of parked rows.
//
// BENCH_RELAY_DIRS (comma list of checkouts, default this one) runs each relay in
// turn, interleaved round by round, so a change is measured beside its baseline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { backendLabel, benchBackends, type BenchBackend } from './lib/bench-backends.ts';
import { closedLoop } from './lib/closed-loop.ts';
import { startProcess, type ServerProcess } from './lib/processes.ts';
import { appendResults } from './lib/report.ts';
import { median, round, spreadPercent } from './lib/stats.ts';
import { createTestDatabase } from '../test/helpers/test-backends.ts';

const LEVELS = (process.env.BENCH_PARKED_LEVELS ?? '0,20000,40000,60000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const RELAY_DIRS = (process.env.BENCH_RELAY_DIRS ?? '.').split(',').map((dir) => resolve(dir.trim()));

const pushBody = (traceId: string) =>
  `{"ToUserName":"gh_9df7d78a1234","FromUserName":"o4_t144jTUSEoxydysUA2E234_tc","CreateTime":1626959646,"MsgType":"event","Event":"wxa_media_check","appid":"wx8f16a5be77871234","trace_id":"${traceId}","version":2,"detail":[],"errcode":0,"errmsg":"ok","result":{"suggest":"pass","label":100}}`;

/** Registrations of fresh trace ids for DURATION_S; returns registrations/s. */
async function registrationRate(relay: ServerProcess, prefix: string): Promise<number> {
  const started = performance.now();
  const done = await closedLoop(relay.url, {
    path: '/api/moderate/trace', connections: CONNECTIONS, durationMs: DURATION_S * 1000,
    body: (index) => JSON.stringify({ trace_id: `${prefix}-${index}`, server_uri: 'http://127.0.0.1:9/cb' }),
  });
  return done / ((performance.now() - started) / 1000);
}

/** Pushes `count` verdicts for ids nobody registered: each is stored and parked. */
async function parkPushes(relay: ServerProcess, prefix: string, count: number): Promise<void> {
  if (count <= 0) return;
  await closedLoop(relay.url, { path: '/api/wechat', connections: 64, count, body: (index) => pushBody(`${prefix}-${index}`) });
}

async function freshDatabase(backend: BenchBackend, dir: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (backend !== 'sqlite') return createTestDatabase(backend, 'relay_bench');
  const file = join(dir, `${name}.db`);
  return { url: `sqlite:${file}`, drop: async () => { for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true }); } };
}

/** One relay, one fresh database: the registration rate at each parked level. */
async function runRelay(relayDir: string, backend: BenchBackend, dir: string, name: string): Promise<number[]> {
  const database = await freshDatabase(backend, dir, name);
  try {
    const relay = await startProcess(join(relayDir, 'bin/callback-relay.js'), ['start'], {
      DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: '0', RELAY_ACCEPT_UNSIGNED_PUSHES: 'true', RELAY_PARKED_GRACE_S: '3600', RELAY_REGISTRATION_RATE_LIMIT: '100000000',
    });
    try {
      const rates: number[] = [];
      let parked = 0;
      for (const level of LEVELS) {
        await parkPushes(relay, `${name}-parked-${level}`, level - parked);
        parked = level;
        rates.push(await registrationRate(relay, `${name}-reg-${level}`));
      }
      return rates;
    } finally {
      await relay.stop();
    }
  } finally {
    await database.drop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-registration-'));
  try {
    for (const backend of benchBackends()) {
      const label = await backendLabel(backend);
      const rates = new Map<string, number[][]>(RELAY_DIRS.map((relayDir) => [relayDir, []]));
      for (let r = 1; r <= ROUNDS; r += 1) {
        for (const [i, relayDir] of RELAY_DIRS.entries()) {
          console.log(`${label}: round ${r}/${ROUNDS}, relay ${relayDir} …`);
          const result = await runRelay(relayDir, backend, dir, `r${r}-${i}`);
          console.log(`  registrations/s at ${LEVELS.join(' / ')} parked: ${result.map((rate) => Math.round(rate)).join(' / ')}`);
          rates.get(relayDir)!.push(result);
        }
      }
      const lines = [`| relay | ${LEVELS.map((level) => `registrations/s, ${level.toLocaleString('en')} parked`).join(' | ')} | last ÷ empty | goal ≥ 0.7 |`, `| --- |${' --- |'.repeat(LEVELS.length + 2)}`];
      for (const [relayDir, perRound] of rates) {
        const at = LEVELS.map((_, level) => perRound.map((roundRates) => roundRates[level]!));
        const ratios = perRound.map((roundRates) => roundRates.at(-1)! / roundRates[0]!);
        const cells = at.map((values) => `${Math.round(median(values))} (±${round(spreadPercent(values), 0)} %)`);
        lines.push(`| ${relayDir === resolve('.') ? 'this checkout' : relayDir} | ${cells.join(' | ')} | ${round(median(ratios))} | ${median(ratios) >= 0.7 ? 'yes' : '**no**'} |`);
      }
      const body = `Registrations of fresh ids, ${CONNECTIONS} connections, ${DURATION_S} s per level, after pushes for ids nobody registered (parked); ${ROUNDS} rounds, relays interleaved, medians with spreads, on ${label}.\n\n${lines.join('\n')}\n`;
      console.log(`\n${body}`);
      appendResults('bench/RESULTS.md', `Registration rate against parked pushes, ${label}`, body);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
