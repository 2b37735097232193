import { execFile as execFileCallback, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { freePort } from './chaos-case.ts';
import type { PrivateDatabase } from './private-database.ts';
import { needCommand, needService } from './services.ts';

const execFile = promisify(execFileCallback);

/**
 * A MariaDB server of the run's own in a temporary folder, on a free port, so it
 * can be killed and started again without touching the machine's server.
 */
export class PrivateMariadb implements PrivateDatabase {
  readonly crashHow = 'SIGKILL of mariadbd (InnoDB crash recovery on start)';
  readonly #port: number;
  readonly #dir: string;
  #child: ChildProcess | undefined;

  private constructor(port: number, dir: string) {
    this.#port = port;
    this.#dir = dir;
  }

  static async create(): Promise<PrivateMariadb> {
    needCommand('mariadbd');
    needCommand('mariadb-install-db');
    const server = new PrivateMariadb(await freePort(), mkdtempSync(join(tmpdir(), 'relay-chaos-mariadb-')));
    try {
      await needService('mariadb-install-db', () => execFile('mariadb-install-db', ['--no-defaults', `--datadir=${server.#data}`, ...server.#asUser(), '--auth-root-authentication-method=normal', '--skip-test-db']));
      await needService('a private MariaDB', () => server.start());
      const connection = await createConnection({ uri: server.#serverUrl });
      await connection.query('CREATE DATABASE relay CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
      await connection.end();
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `${this.#serverUrl}/relay`;
  }

  get #serverUrl(): string {
    return `mysql://root@127.0.0.1:${this.#port}`;
  }

  get #data(): string {
    return join(this.#dir, 'data');
  }

  /** mariadbd runs as root only when told to. */
  #asUser(): string[] {
    return process.getuid?.() === 0 ? ['--user=root'] : [];
  }

  async start(): Promise<void> {
    const child = spawn('mariadbd', ['--no-defaults', `--datadir=${this.#data}`, `--port=${this.#port}`, '--bind-address=127.0.0.1',
      `--socket=${join(this.#dir, 'mariadb.sock')}`, `--pid-file=${join(this.#dir, 'mariadb.pid')}`, `--log-error=${join(this.#dir, 'error.log')}`,
      '--skip-name-resolve', '--innodb-buffer-pool-size=64M', ...this.#asUser()], { stdio: 'ignore' });
    child.on('error', () => undefined);
    this.#child = child;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}; see ${join(this.#dir, 'error.log')}`);
      try {
        await (await createConnection({ uri: this.#serverUrl, connectTimeout: 1000 })).end();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async crash(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.crash();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
