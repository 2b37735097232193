// `npm run bench`: push ingest and forwarding of the relay against two baselines
// measured in the same run, interleaved, several rounds; prints a table and
// appends it to bench/RESULTS.md. Not part of `npm test`. BENCH_BACKEND picks the
// relay's database (sqlite, postgres, mysql, or a comma list: one whole run each).
// BENCH_RELAY_DIRS (comma list of checkouts, default this one) runs each relay in
// turn within every round, so a change is measured beside its baseline.
// Two relay cases per round: `forward` (pushes for registered ids: stored, sent,
// recorded) and `ingest` (pushes for ids nobody registered: stored and acknowledged); a relay
// that serves other providers also takes `hmac ingest`, the same pushes from an hmac source.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { backendLabel, benchBackends, seedRoundDatabase, type BenchBackend } from './lib/bench-backends.ts';
import { pushLoad, type LoadResult } from './lib/load.ts';
import { sha1Sorted } from '../src/providers/wechat/signature.ts';
import { cpuByThread } from './lib/process-cpu.ts';
import { startProcess, type ServerProcess } from './lib/processes.ts';
import { appendResults, barChartSvg, figuresTable, type Figure } from './lib/report.ts';
import { median, round, spreadPercent } from './lib/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 64;
const SEEDED_TRACES = Number(process.env.BENCH_TRACES ?? 200_000);
const DRAIN_LIMIT_S = 180;
const RELAY_DIRS = (process.env.BENCH_RELAY_DIRS ?? '.').split(',').map((dir) => resolve(dir.trim()));
const relayName = (dir: string): string => (dir === resolve('.') ? 'relay' : `relay@${dir.split('/').at(-1)}`);

/** The commit a relay checkout is at (and whether it has changes on top), so a table names what it measured. */
function describeCheckout(dir: string): string {
  try {
    const commit = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const isDirty = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return isDirty ? `${commit} with uncommitted changes` : commit;
  } catch {
    return dir === resolve('.') ? 'this checkout' : dir;
  }
}

interface CaseResult extends LoadResult {
  forwardedPerSecond: number;
  backlogAtEnd: number;
  /** Seconds after the load until everything acknowledged had been forwarded. */
  drainS: number;
  rssMb?: number;
  /** CPU ms per forwarded verdict, by thread kind (main, the SQLite thread, GC helpers). */
  cpuMsPerVerdict?: Record<string, number>;
}

const pushBody = (prefix: string) => (index: number) =>
  `{"ToUserName":"gh_9df7d78a1234","FromUserName":"o4_t144jTUSEoxydysUA2E234_tc","CreateTime":1626959646,"MsgType":"event","Event":"wxa_media_check","appid":"wx8f16a5be77871234","trace_id":"${prefix}-${index}","version":2,"detail":[{"strategy":"content_model","errcode":0,"suggest":"pass","label":100,"prob":90}],"errcode":0,"errmsg":"ok","result":{"suggest":"pass","label":100}}`;

/** An hmac source, as a provider that signs its webhooks would be configured. */
const HMAC_SOURCE = { name: 'bench-hmac', kind: 'hmac', secret: 'bench-hmac-secret', header: 'x-signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=', idPath: 'trace_id' };
const hmacHeaders = (body: string) => ({ 'x-signature': `sha256=${createHmac('sha256', HMAC_SOURCE.secret).update(body).digest('hex')}` });
/** Checkouts from before sources existed would refuse the config key. */
const servesSources = (relayDir: string) => existsSync(join(relayDir, 'src/providers/sources'));

async function measureHmacIngest(server: ServerProcess, prefix: string): Promise<CaseResult> {
  const load = await pushLoad(server.url, { connections: CONNECTIONS, durationS: DURATION_S, body: pushBody(prefix), path: `/api/hooks/${HMAC_SOURCE.name}`, headers: hmacHeaders });
  return { ...load, forwardedPerSecond: 0, backlogAtEnd: 0, drainS: 0 };
}

/** Pushes are signed as WeChat signs them (plain mode), with the time of sending: the relay checks both. */
const BENCH_TOKEN = 'bench-token';
const signedQuery = (): string => {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  return `signature=${sha1Sorted([BENCH_TOKEN, timestamp, nonce])}&timestamp=${timestamp}&nonce=${nonce}`;
};

async function sinkCount(sink: ServerProcess): Promise<number> {
  const response = await request(`${sink.url}/count`);
  return ((await response.body.json()) as { received: number }).received;
}

/**
 * Load for DURATION_S, then wait until the business server has received everything
 * acknowledged: forwarded/s is the sustained rate, acknowledged ÷ (load + drain time),
 * so a backlog left behind at the end of the load counts against it.
 */
async function measure(server: ServerProcess, sink: ServerProcess, prefix: string, forwards: boolean): Promise<CaseResult> {
  const before = await sinkCount(sink);
  const started = performance.now();
  const load = await pushLoad(server.url, { connections: CONNECTIONS, durationS: DURATION_S, body: pushBody(prefix), query: signedQuery });
  const backlogAtEnd = load.total - ((await sinkCount(sink)) - before);
  if (!forwards) return { ...load, forwardedPerSecond: 0, backlogAtEnd: 0, drainS: 0 };
  const loadEnded = performance.now();
  // Pushes past the seeded registrations name no registered trace: nothing forwards them.
  if (load.total > SEEDED_TRACES) console.warn(`!!! ${prefix}: ${load.total} pushes for ${SEEDED_TRACES} registrations; raise BENCH_TRACES or the drain wait counts only the registered ones`);
  const acknowledged = Math.min(load.total - load.non2xx - load.errors, SEEDED_TRACES);
  const drainDeadline = loadEnded + DRAIN_LIMIT_S * 1000;
  let forwarded = (await sinkCount(sink)) - before;
  while (forwarded < acknowledged && performance.now() < drainDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    forwarded = (await sinkCount(sink)) - before;
  }
  const elapsedS = (performance.now() - started) / 1000;
  return { ...load, forwardedPerSecond: forwarded / elapsedS, backlogAtEnd, drainS: (performance.now() - loadEnded) / 1000 };
}

async function runRound(backend: BenchBackend, round: number, sink: ServerProcess, dir: string): Promise<Record<string, CaseResult>> {
  const results: Record<string, CaseResult> = {};
  const bare = await startProcess('bench/servers/bare-server.ts', [], {});
  results.bare = await measure(bare, sink, 'bare', false);
  await bare.stop();

  const naive = await startProcess('bench/servers/naive-relay.ts', [], {});
  const pool = new Agent({ connections: 64 });
  for (let i = 0; i < SEEDED_TRACES; i += 5_000) {
    await Promise.all(Array.from({ length: Math.min(5_000, SEEDED_TRACES - i) }, (_, j) =>
      request(`${naive.url}/api/moderate/trace`, { method: 'POST', dispatcher: pool, body: JSON.stringify({ trace_id: `naive-${i + j}`, server_uri: `${sink.url}/cb` }) }).then((r) => r.body.dump())));
  }
  await pool.close();
  results.naive = await measure(naive, sink, 'naive', true);
  await naive.stop();

  for (const [index, relayDir] of RELAY_DIRS.entries()) {
    const name = relayName(relayDir);
    // Seeding happens before the relay starts, outside every measured figure.
    const database = await seedRoundDatabase(backend, { dir, round: round * 10 + index, count: SEEDED_TRACES, serverUri: `${sink.url}/cb`, prefix: 'relay', relayBin: join(relayDir, 'bin/callback-relay.js') });
    try {
      const config = join(dir, 'relay-sources.json');
      writeFileSync(config, JSON.stringify({ sources: [HMAC_SOURCE] }));
      const relay = await startProcess(join(relayDir, 'bin/callback-relay.js'), ['start'], {
        DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: '0', WECHAT_TOKEN: BENCH_TOKEN, ...(servesSources(relayDir) ? { RELAY_CONFIG: config } : {}),
      });
      try {
        const pid = relay.child.pid!;
        const cpuBefore = cpuByThread(pid);
        results[`${name} forward`] = await measure(relay, sink, 'relay', true);
        const cpuAfter = cpuByThread(pid);
        const forwarded = results[`${name} forward`]!.total;
        results[`${name} forward`]!.cpuMsPerVerdict = Object.fromEntries(Object.entries(cpuAfter)
          .map(([kind, ms]) => [kind, Math.round((1000 * (ms - (cpuBefore[kind] ?? 0))) / forwarded) / 1000] as const)
          .filter(([, ms]) => ms >= 0.005));
        results[`${name} forward`]!.rssMb = relay.rssMb();
        // Pushes for ids nobody registered: stored (parked) and acknowledged, nothing to send.
        results[`${name} ingest`] = await measure(relay, sink, `unregistered-${round}-${index}`, false);
        if (servesSources(relayDir)) results[`${name} hmac ingest`] = await measureHmacIngest(relay, `hmac-${round}-${index}`);
      } finally {
        await relay.stop();
      }
    } finally {
      await database.drop();
    }
  }
  return results;
}

function summarise(rounds: Array<Record<string, CaseResult>>, relayDir: string): Figure[] {
  const name = relayName(relayDir);
  const pick = (key: string, metric: (result: CaseResult) => number) => rounds.map((round) => metric(round[key]!));
  const ratio = (a: number[], b: number[]) => a.map((value, i) => value / b[i]!);
  const bare = pick('bare', (r) => r.requestsPerSecond);
  const ingest = ratio(pick(`${name} ingest`, (r) => r.requestsPerSecond), bare);
  const forwardedVsBare = ratio(pick(`${name} forward`, (r) => r.forwardedPerSecond), bare);
  const forwardedVsNaive = ratio(pick(`${name} forward`, (r) => r.forwardedPerSecond), pick('naive', (r) => r.forwardedPerSecond));
  const p99 = ratio(pick(`${name} ingest`, (r) => r.p99Ms), pick('bare', (r) => r.p99Ms));
  const show = (values: number[]) => `${round(median(values))} (±${round(spreadPercent(values), 0)} %)`;
  const server = !label.startsWith('SQLite');
  const cpu = rounds.map((round) => round[`${name} forward`]!.cpuMsPerVerdict ?? {});
  const kinds = [...new Set(cpu.flatMap((byKind) => Object.keys(byKind)))];
  const cpuText = kinds.map((kind) => `${kind} ${round(median(cpu.map((byKind) => byKind[kind] ?? 0)), 3)}`).join(', ');
  return [
    { name: `${name}: durable ingest (unregistered ids) ÷ bare node:http`, value: show(ingest), goal: server ? '≥ 0.2' : '≥ 0.5', isMet: median(ingest) >= (server ? 0.2 : 0.5) },
    { name: `${name}: sustained forwarded/s ÷ bare node:http`, value: show(forwardedVsBare), goal: server ? '≥ 0.1' : '≥ 0.25', isMet: median(forwardedVsBare) >= (server ? 0.1 : 0.25) },
    { name: `${name}: sustained forwarded/s ÷ naive relay`, value: show(forwardedVsNaive), goal: '≥ 0.8 (stretch ≥ 1)', isMet: median(forwardedVsNaive) >= 0.8 },
    { name: `${name}: ingest p99 ÷ bare p99`, value: show(p99), goal: '≤ 4', isMet: median(p99) <= 4 },
    ...(rounds.every((round) => round[`${name} hmac ingest`]) ? [(() => {
      const hmac = ratio(pick(`${name} hmac ingest`, (r) => r.requestsPerSecond), pick(`${name} ingest`, (r) => r.requestsPerSecond));
      return { name: `${name}: ingest from an hmac source ÷ WeChat plain-mode ingest`, value: show(hmac), goal: '≥ 0.9', isMet: median(hmac) >= 0.9 };
    })()] : []),
    { name: `${name}: relay CPU ms per forwarded verdict, by thread`, value: cpuText, goal: '— (reported)', isMet: null },
    { name: `${name}: backlog when the forwarding load stopped (acked − forwarded)`, value: String(median(pick(`${name} forward`, (r) => r.backlogAtEnd))), goal: 'bounded', isMet: null },
    { name: `${name}: drain time after the forwarding load stopped`, value: `${round(median(pick(`${name} forward`, (r) => r.drainS)), 1)} s`, goal: '—', isMet: null },
  ];
}

let label = '';

function rawTable(rounds: Array<Record<string, CaseResult>>): string {
  const lines = ['| round | case | req/s | p50 ms | p99 ms | sustained forwarded/s | drain s | non-2xx | errors |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  rounds.forEach((results, index) => {
    for (const [name, result] of Object.entries(results)) {
      lines.push(`| ${index + 1} | ${name} | ${Math.round(result.requestsPerSecond)} | ${result.p50Ms} | ${result.p99Ms} | ${Math.round(result.forwardedPerSecond)} | ${round(result.drainS, 1)} | ${result.non2xx} | ${result.errors} |`);
    }
  });
  return lines.join('\n');
}

type Rounds = Array<Record<string, CaseResult>>;

/** The whole interleaved benchmark on one backend: ROUNDS rounds, one section in bench/RESULTS.md. */
async function runBackend(backend: BenchBackend, sink: ServerProcess, dir: string): Promise<{ label: string; rounds: Rounds }> {
  label = await backendLabel(backend);
  const rounds: Rounds = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    console.log(`${label}: round ${round}/${ROUNDS} …`);
    rounds.push(await runRound(backend, round, sink, dir));
  }
  const figures = RELAY_DIRS.flatMap((relayDir) => summarise(rounds, relayDir));
  const relays = RELAY_DIRS.map((relayDir) => `${relayName(relayDir)} = ${describeCheckout(relayDir)}`).join(', ');
  const body = `Plain-mode JSON pushes signed as WeChat signs them, ${CONNECTIONS} connections, ${DURATION_S} s per case, ${ROUNDS} rounds (bare, naive and each relay interleaved within every round; ${relays}), relay on ${label}, ${SEEDED_TRACES} pending registrations; medians of the rounds with their spreads.\n\n${figuresTable(figures)}\n\nRaw:\n\n${rawTable(rounds)}\n`;
  console.log(`\n${body}`);
  appendResults('bench/RESULTS.md', `Push ingest and forwarding, ${label}`, body);
  return { label, rounds };
}

/**
 * The chart shows the SQLite run's bare server, naive relay and relay; a relay on
 * another backend measured in the same invocation joins it as one more bar group.
 * Without a SQLite run the chart is left as it is.
 */
function writeChart(runs: ReadonlyMap<BenchBackend, { label: string; rounds: Rounds }>): void {
  const sqlite = runs.get('sqlite');
  if (!sqlite) return;
  const row = (label: string, rounds: Rounds, name: string) => ({
    label,
    throughput: median(rounds.map((round) => round[name]!.requestsPerSecond)),
    p99Ms: median(rounds.map((round) => round[name]!.p99Ms)),
  });
  const rows = [row('bare node:http', sqlite.rounds, 'bare'), row('naive relay', sqlite.rounds, 'naive')];
  const relay = `${relayName(RELAY_DIRS[0]!)} forward`;
  if (runs.size === 1) rows.push(row('callback-relay', sqlite.rounds, relay));
  else for (const { label, rounds } of runs.values()) rows.push(row(`relay on ${label.split(' ')[0]}`, rounds, relay));
  writeFileSync('bench/ingest-chart.svg', barChartSvg(rows));
}

async function main(): Promise<void> {
  const backends = benchBackends();
  const dir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
  const sink = await startProcess('bench/servers/sink-server.ts', [], {});
  const runs = new Map<BenchBackend, { label: string; rounds: Rounds }>();
  try {
    for (const backend of backends) runs.set(backend, await runBackend(backend, sink, dir));
  } finally {
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  writeChart(runs);
}

await main();
