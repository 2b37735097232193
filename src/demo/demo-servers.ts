import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedForward {
  server: string;
  path: string;
  event: string;
  traceId: string;
  attempt: string;
  isLate: boolean;
  status: number;
}

/** Decides the answer to a forward: the HTTP status the business server replies with. */
export type Answer = (path: string, seen: number) => number;

/**
 * A business server as a team runs one: it takes the relay's forwards on
 * `/wx/media-check` and reports each one, so the demo can say what went where.
 */
export class DemoBusinessServer {
  readonly name: string;
  readonly received: ReceivedForward[] = [];
  readonly #server: Server;
  readonly #answer: Answer;
  readonly #onForward: (forward: ReceivedForward) => void;
  #url = '';

  constructor(name: string, answer: Answer, onForward: (forward: ReceivedForward) => void) {
    this.name = name;
    this.#answer = answer;
    this.#onForward = onForward;
    this.#server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const forward = this.#record(request);
        response.writeHead(forward.status, { 'content-type': 'text/plain' }).end(forward.status < 300 ? 'ok' : 'busy, try later');
      });
    });
  }

  get url(): string {
    return this.#url;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #record(request: IncomingMessage): ReceivedForward {
    const path = request.url ?? '/';
    const seen = this.received.filter((item) => item.path === path).length;
    const header = (name: string) => String(request.headers[name] ?? '');
    const forward: ReceivedForward = {
      server: this.name,
      path,
      event: header('x-relay-event'),
      traceId: header('x-relay-trace-id'),
      attempt: header('x-relay-attempt'),
      isLate: header('x-relay-late') === 'true',
      status: this.#answer(path, seen),
    };
    this.received.push(forward);
    this.#onForward(forward);
    return forward;
  }
}
