import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './wait-for.ts';

/**
 * A Redis server of the test's own, on a free loopback port, so a test can
 * FLUSHALL it or kill and restart it without touching the machine's shared Redis.
 */
export class PrivateRedis {
  readonly port: number;
  readonly #dir = mkdtempSync(join(tmpdir(), 'relay-redis-'));
  #child: ChildProcess | undefined;

  constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** A client for the test's own commands (FLUSHALL, ZCARD, …). */
  client(): Redis {
    const client = new Redis(this.url, { maxRetriesPerRequest: 1 });
    // The test kills this server on purpose; the client's reconnect errors are expected.
    client.on('error', () => undefined);
    return client;
  }

  /** Starts (again) on the same port, empty, as a Redis without persistence comes back. */
  async restart(): Promise<void> {
    this.#child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.#dir], { stdio: 'ignore' });
    await waitFor(() => isOpen(this.port), { timeoutMs: 10_000, what: `redis-server on ${this.port}` });
  }

  /** Kills the server (SIGKILL: everything in it is gone). */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function isOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
  });
}
