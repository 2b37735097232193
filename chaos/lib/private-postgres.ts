import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './chaos-case.ts';
import type { PrivateDatabase } from './private-database.ts';
import { needCommand, needService } from './services.ts';

const execFile = promisify(execFileCallback);

/**
 * A PostgreSQL cluster of the run's own in a temporary folder, on a free port, so
 * it can be crashed and started again without touching the machine's server.
 * PostgreSQL refuses to run as root: under root every command runs as `postgres`.
 */
export class PrivatePostgres implements PrivateDatabase {
  readonly crashHow = 'immediate shutdown (SIGQUIT: no checkpoint, WAL replayed on start)';
  readonly #port: number;
  readonly #dir: string;
  readonly #bin: string;

  private constructor(port: number, dir: string, bin: string) {
    this.#port = port;
    this.#dir = dir;
    this.#bin = bin;
  }

  static async create(): Promise<PrivatePostgres> {
    needCommand('pg_config');
    const bin = execFileSync('pg_config', ['--bindir']).toString().trim();
    const dir = mkdtempSync(join(tmpdir(), 'relay-chaos-pg-'));
    const server = new PrivatePostgres(await freePort(), dir, bin);
    try {
      if (process.getuid?.() === 0) {
        const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres']).toString()));
        chownSync(dir, uid!, gid!);
      }
      await needService('initdb of a private PostgreSQL', () => server.#run('initdb', ['-D', server.#data, '-A', 'trust', '-U', 'postgres', '--no-sync']));
      await needService('a private PostgreSQL', () => server.start());
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.#port}/postgres`;
  }

  get #data(): string {
    return join(this.#dir, 'data');
  }

  /** Starts the server and waits until it accepts connections (after any crash recovery). */
  async start(): Promise<void> {
    const options = `-p ${this.#port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c max_connections=60`;
    await this.#run('pg_ctl', ['-D', this.#data, '-o', options, '-l', join(this.#dir, 'server.log'), '-w', '-t', '60', 'start']);
  }

  async crash(): Promise<void> {
    await this.#run('pg_ctl', ['-D', this.#data, '-m', 'immediate', '-w', 'stop']);
  }

  async close(): Promise<void> {
    await this.crash().catch(() => undefined);
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #run(program: string, args: string[]): Promise<void> {
    const path = join(this.#bin, program);
    // With -l the server writes to server.log, not to our pipes, so this returns when pg_ctl does.
    if (process.getuid?.() === 0) await execFile('runuser', ['-u', 'postgres', '--', path, ...args]);
    else await execFile(path, args);
  }
}
