import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system) in ms of one /proc stat file; the clock ticks are 10 ms on Linux. */
function statCpuMs(path: string): number {
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU ms a process has used, per thread kind: `main` (the event loop), `WorkerThread`
 * (the SQLite store's thread), `V8Worker` (garbage collection helpers), `libuv-worker`.
 */
export function cpuByThread(pid: number): Record<string, number> {
  const byKind: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const kind = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    byKind[kind] = (byKind[kind] ?? 0) + statCpuMs(`/proc/${pid}/task/${tid}/stat`);
  }
  return byKind;
}
