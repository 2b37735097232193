import WebSocket from 'ws';
import { TunnelClient, type ClientEvent } from '../../src/tunnel/tunnel-client.ts';
import { waitFor } from './wait-for.ts';

/** `callback-relay listen` in this process, with what it would print collected. */
export class TestListener {
  readonly events: ClientEvent[] = [];
  readonly client: TunnelClient;
  readonly exited: Promise<number>;

  constructor(relayUrl: string, name: string, forwardTo: string, key?: string) {
    this.client = new TunnelClient({ relayUrl, name, forwardTo, key, backoffMs: { first: 100, max: 500 } }, (event) => this.events.push(event));
    this.exited = this.client.run();
  }

  static async connect(relayUrl: string, name: string, forwardTo: string, key?: string): Promise<TestListener> {
    const listener = new TestListener(relayUrl, name, forwardTo, key);
    await listener.waitConnected();
    return listener;
  }

  async waitConnected(count = 1): Promise<void> {
    await waitFor(() => this.events.filter((event) => event.kind === 'connected').length >= count, { what: `listener connected ${count}×` });
  }

  deliveries(): Array<Extract<ClientEvent, { kind: 'delivery' }>> {
    return this.events.filter((event): event is Extract<ClientEvent, { kind: 'delivery' }> => event.kind === 'delivery');
  }

  stop(): void {
    this.client.stop();
  }
}

/** What a raw WebSocket handshake came to: refused with a status and body, or opened. */
export async function rawHandshake(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; messages: string[] } | { socket: WebSocket; messages: string[] }> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
  const messages: string[] = [];
  socket.on('message', (data) => messages.push(data.toString('utf8')));
  return new Promise((resolve, reject) => {
    socket.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        socket.terminate();
        resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, messages });
      });
    });
    socket.on('open', () => resolve({ socket, messages }));
    socket.on('error', (error) => reject(error));
  });
}
