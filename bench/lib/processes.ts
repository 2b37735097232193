import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Resident set size in MB, read from /proc. */
  rssMb(): number;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `node <script> [args]` and waits for `ready <port>` (bench servers) or the relay's start line. */
export async function startProcess(script: string, args: string[], env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // Only the start is read: the relay logs a line per request, and scanning all of
  // it on every chunk made the load generator itself slower as a run went on.
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start: ${output}`));
    }, 30_000);
    const onExit = (code: number | null) => reject(new Error(`${script} exited with ${code}: ${output}`));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^ready (\d+)$/m.exec(output);
      const relay = /"address":"(http:\/\/[^"]+)"[^\n]*callback-relay started/.exec(output);
      if (ready || relay) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve(ready ? `http://127.0.0.1:${ready[1]}` : relay![1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => { if (output.length < 65_536) output += chunk.toString(); });
    child.once('exit', onExit);
  });
  child.stdout?.resume();
  child.stderr?.on('data', (c: Buffer) => { if (process.env.BENCH_SHOW_STDERR) process.stderr.write(c); });
  return {
    child,
    url,
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }),
  };
}

export const RELAY_BIN = 'bin/callback-relay.js';
