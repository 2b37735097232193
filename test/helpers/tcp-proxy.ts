import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on loopback in front of a shared database server, so a test can
 * take "the database" away and bring it back without touching the real service
 * that other tests use: `cut()` drops every connection and refuses new ones,
 * `stall()` keeps connections open but passes no bytes (a database that hangs),
 * `restore()` serves again on the same port.
 */
export class TcpProxy {
  readonly #targetPort: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;
  #isStalled = false;

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await proxy.#listen(0);
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  async #listen(port: number): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('data', (chunk) => this.#isStalled || upstream.write(chunk));
      upstream.on('data', (chunk) => this.#isStalled || client.write(chunk));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
  }

  /** The database is gone: open connections reset, new ones refused. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The database hangs: connections stay open, bytes are dropped. */
  stall(): void {
    this.#isStalled = true;
  }

  /** Back in service on the same port; stalled connections are reset so clients reconnect cleanly. */
  async restore(): Promise<void> {
    if (this.#isStalled) {
      this.#isStalled = false;
      for (const socket of this.#sockets) socket.destroy();
    }
    if (!this.#server) await this.#listen(this.#port);
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
