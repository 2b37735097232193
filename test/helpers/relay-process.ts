import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.ts';

const BIN = fileURLToPath(new URL('../../bin/callback-relay.js', import.meta.url));

/**
 * The relay as a separate OS process, started the way a user starts it, so a test
 * can kill it with SIGKILL and start it again on the same database.
 */
export class RelayProcess {
  readonly output: string[] = [];
  #child: ChildProcess | undefined;
  #url = '';
  readonly #env: Record<string, string>;

  constructor(env: Record<string, string>) {
    this.#env = env;
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'start'], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', RELAY_ACCEPT_UNSIGNED_PUSHES: 'true', ...this.#env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      this.output.push(...lines);
    });
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    const started = await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`relay exited with ${child.exitCode}: ${this.output.join('\n')}`);
      return this.output.map(parseLine).find((line) => line?.msg === 'callback-relay started');
    }, { timeoutMs: 20_000, what: 'relay process to start' });
    this.#url = String(started.address);
  }

  /** SIGKILL: no shutdown code runs, as in a crash or an OOM kill. */
  async kill(): Promise<void> {
    await this.#stop('SIGKILL');
  }

  /** SIGTERM: the graceful path. Resolves with the exit code. */
  async terminate(): Promise<number | null> {
    return this.#stop('SIGTERM');
  }

  async #stop(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  logLines(): Array<Record<string, unknown>> {
    return this.output.map(parseLine).filter((line): line is Record<string, unknown> => line !== undefined);
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
