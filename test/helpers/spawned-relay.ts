import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { waitFor } from './wait-for.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** The project's Node.js 24 (the system one may be older). */
const NODE = resolve(ROOT, 'node_modules/.bin/node');

export interface RelayProcess {
  readonly url: string;
  readonly pid: number;
  /** Every log line the process wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** SIGKILL: no drain, leases left behind. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful stop. */
  stop(): Promise<void>;
}

/** Runs `callback-relay start` as its own process, as an operator would, and waits until it listens. */
export async function spawnRelay(env: Record<string, string>): Promise<RelayProcess> {
  const child: ChildProcess = spawn(NODE, ['bin/callback-relay.js', 'start'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', RELAY_ACCEPT_UNSIGNED_PUSHES: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not a log line; ignore.
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const started = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`relay exited with ${child.exitCode}: ${stderr}`);
    return logs.find((line) => line.msg === 'callback-relay started');
  }, { timeoutMs: 30_000, what: 'relay process to start' }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  });
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: String(started.address),
    pid: child.pid!,
    logs,
    kill: () => stopWith('SIGKILL'),
    stop: () => stopWith('SIGTERM'),
  };
}
