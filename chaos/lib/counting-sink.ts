import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A business server that counts forwards per trace id, and can go down and come back on the same port. */
export class CountingSink {
  readonly forwards = new Map<string, number>();
  #server: Server | undefined;
  #port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const traceId = String(request.headers['x-relay-trace-id'] ?? '');
        if (request.headers['x-relay-event'] === 'callback.received') this.forwards.set(traceId, (this.forwards.get(traceId) ?? 0) + 1);
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
