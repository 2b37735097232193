// `npm run bench:profile`: one relay under the bench's push load, to see where its
// time goes. Prints the CPU ms each verdict cost per thread kind; with
// PROFILE=1, also writes V8 CPU profiles of every thread to .tmp/ (open them in
// Chrome DevTools). BENCH_BACKEND=sqlite|postgres|mysql, BENCH_DURATION_S.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { sha1Sorted } from '../src/providers/wechat/signature.ts';
import { seedRoundDatabase, type BenchBackend } from './lib/bench-backends.ts';
import { pushLoad } from './lib/load.ts';
import { cpuByThread } from './lib/process-cpu.ts';
import { RELAY_BIN, startProcess } from './lib/processes.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
/** Pushes are signed as WeChat signs them (plain mode), so the profile is of the production path. */
const TOKEN = 'profile-token';
const signedQuery = (): string => {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  return `signature=${sha1Sorted([TOKEN, timestamp, nonce])}&timestamp=${timestamp}&nonce=${nonce}`;
};
const dir = mkdtempSync(join(tmpdir(), 'relay-profile-'));
mkdirSync('.tmp', { recursive: true });
const sink = await startProcess('bench/servers/sink-server.ts', [], {});
const seeded = await seedRoundDatabase((process.env.BENCH_BACKEND ?? 'sqlite') as BenchBackend, { dir, round: 1, count: 100_000, serverUri: `${sink.url}/cb`, prefix: 'p' });
const relay = await startProcess(RELAY_BIN, ['start'], {
  DATABASE_URL: seeded.url, HOST: '127.0.0.1', PORT: '0', WECHAT_TOKEN: TOKEN,
  ...(process.env.PROFILE === '1' ? { NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=.tmp' } : {}),
});
const body = (index: number) => `{"ToUserName":"gh_9df7d78a1234","MsgType":"event","Event":"wxa_media_check","appid":"wx8f16a5be77871234","trace_id":"p-${index}","version":2,"errcode":0,"errmsg":"ok","result":{"suggest":"pass","label":100}}`;
const forwarded = async () => ((await (await request(`${sink.url}/count`)).body.json()) as { received: number }).received;
try {
  const cpuBefore = cpuByThread(relay.child.pid!);
  const started = performance.now();
  const load = await pushLoad(relay.url, { connections: 64, durationS: DURATION_S, body, query: signedQuery });
  const forwardedAtEnd = await forwarded();
  while ((await forwarded()) < load.total - load.non2xx && performance.now() - started < 120_000) await new Promise((resolve) => setTimeout(resolve, 100));
  const total = await forwarded();
  const cpuAfter = cpuByThread(relay.child.pid!);
  const perVerdict = Object.fromEntries(Object.entries(cpuAfter)
    .map(([kind, ms]) => [kind, Math.round((1000 * (ms - (cpuBefore[kind] ?? 0))) / total) / 1000] as const)
    .filter(([, ms]) => ms >= 0.01));
  console.log(JSON.stringify({
    ingestPerSecond: Math.round(load.requestsPerSecond), p50Ms: load.p50Ms, p99Ms: load.p99Ms, non2xx: load.non2xx,
    forwardedAtEnd, sustainedPerSecond: Math.round(total / ((performance.now() - started) / 1000)),
    cpuMsPerVerdict: perVerdict, rssMb: Math.round(relay.rssMb()),
  }));
} finally {
  await relay.stop();
  await sink.stop();
  await seeded.drop();
  rmSync(dir, { recursive: true, force: true });
}
