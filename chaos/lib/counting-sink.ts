import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A business server that counts forwards per trace id, and can go down and come
 * back on the same port. A forward counts once its body has arrived; `answerDelayMs`
 * holds the answer back, so attempts are in flight when a relay is killed.
 */
export class CountingSink {
  /** Per trace id, when each forward arrived (epoch ms). */
  readonly forwards = new Map<string, number[]>();
  readonly #answerDelayMs: number;
  #server: Server | undefined;
  #port = 0;

  constructor(answerDelayMs = 0) {
    this.#answerDelayMs = answerDelayMs;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const traceId = String(request.headers['x-relay-trace-id'] ?? '');
        if (request.headers['x-relay-event'] === 'callback.received') this.forwards.set(traceId, [...this.forwards.get(traceId) ?? [], Date.now()]);
        const answer = () => response.writeHead(200).end('ok');
        if (this.#answerDelayMs > 0) setTimeout(answer, this.#answerDelayMs);
        else answer();
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
