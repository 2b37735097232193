import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.ts';

/** The Node 24 that comes with the project, whatever runs the tests. */
export const NODE_24 = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/callback-relay.js', import.meta.url));

/** A process started from a command line, with its output kept line by line. */
export class CliProcess {
  readonly lines: string[] = [];
  readonly #child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.#child = spawn(NODE_24, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      let buffered = '';
      stream?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        this.lines.push(...parts);
      });
    }
  }

  /** `callback-relay <args>` through bin/callback-relay.js. */
  static relayCli(args: string[], env: Record<string, string> = {}): CliProcess {
    return new CliProcess([BIN, ...args], env);
  }

  async waitForLine(pattern: RegExp, count = 1, timeoutMs = 20_000): Promise<string> {
    return waitFor(() => {
      const found = this.lines.filter((line) => pattern.test(line));
      return found.length >= count ? found[count - 1] : undefined;
    }, { timeoutMs, what: `${count}× ${pattern} in output:\n${this.lines.join('\n')}` });
  }

  async signal(signal: NodeJS.Signals): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
    return this.exited;
  }
}
