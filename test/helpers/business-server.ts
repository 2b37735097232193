import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait-for.ts';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** What the server does with the n-th request (0-based): a status, or full control. */
export type Responder = (request: ReceivedRequest, index: number, response: ServerResponse) => number | 'hang' | 'handled';

/**
 * A real HTTP business server on loopback that records every request, for
 * checking what the relay forwarded byte for byte.
 */
export class BusinessServer {
  readonly requests: ReceivedRequest[] = [];
  #server: Server | undefined;
  #responder: Responder = () => 200;
  #url = '';

  static async start(responder?: Responder): Promise<BusinessServer> {
    const business = new BusinessServer();
    if (responder) business.#responder = responder;
    await business.#listen();
    return business;
  }

  /** Base URL, e.g. http://127.0.0.1:40123 */
  get url(): string {
    return this.#url;
  }

  respondWith(responder: Responder): void {
    this.#responder = responder;
  }

  async waitForRequests(count: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    await waitFor(() => this.requests.length >= count, { timeoutMs, what: `${count} requests at ${this.#url} (got ${this.requests.length})` });
    return this.requests;
  }

  async #listen(port = 0): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
        const index = this.requests.push(received) - 1;
        const action = this.#responder(received, index, res);
        if (action === 'hang' || action === 'handled') return;
        res.writeHead(action, { 'content-type': 'text/plain' }).end(action < 300 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops listening (connections refused) but keeps the address for `restart`. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port, as a server coming back after a deploy. */
  async restart(): Promise<void> {
    await this.#listen(Number(new URL(this.#url).port));
  }
}
