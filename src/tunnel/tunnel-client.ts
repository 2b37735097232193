import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import { forwardLocally } from './local-forwarder.ts';
import { parseRelayFrame, type DeliveryFrame, type ResultFrame } from './tunnel-protocol.ts';

export interface TunnelClientOptions {
  /** The relay's base URL, http(s)://…; the tunnel endpoint is `/api/tunnel/<name>` under it. */
  relayUrl: string;
  name: string;
  forwardTo: string;
  key: string | undefined;
  /** Own ping interval, ms: a relay that misses a whole interval (laptop slept, NAT dropped) is redialled. */
  pingIntervalMs?: number;
  /** Backoff between reconnects, ms: first and largest. */
  backoffMs?: { first: number; max: number };
}

/** What the client tells its user; the CLI prints these, tests collect them. */
export type ClientEvent =
  | { kind: 'connected'; url: string }
  | { kind: 'disconnected'; reason: string; retryInMs: number; attempt: number }
  | { kind: 'refused'; status: number; code: string; message: string }
  | { kind: 'delivery'; frame: DeliveryFrame; result: ResultFrame; body: Buffer };

/** Statuses that a retry cannot fix: a wrong key stays wrong. */
const FATAL_STATUSES = new Set([400, 401, 403, 404, 426]);

/**
 * The listener's side of a dev tunnel: one outbound WebSocket, redialled with
 * backoff for as long as it runs; each delivery POSTed to the local server and
 * its answer sent back. Stopping drops deliveries in flight unanswered, so the
 * relay counts them as not acknowledged and sends them again.
 */
export class TunnelClient {
  readonly #options: TunnelClientOptions;
  readonly #onEvent: (event: ClientEvent) => void;
  readonly #stop = new AbortController();
  #socket: WebSocket | undefined;
  #failures = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #done: { resolve: (code: number) => void; promise: Promise<number> };

  constructor(options: TunnelClientOptions, onEvent: (event: ClientEvent) => void) {
    this.#options = options;
    this.#onEvent = onEvent;
    let resolve: (code: number) => void = () => undefined;
    const promise = new Promise<number>((done) => { resolve = done; });
    this.#done = { resolve, promise };
  }

  /** Runs until stop() (resolves 0) or the relay refuses the listener for good (resolves 1). */
  run(): Promise<number> {
    this.#connect();
    return this.#done.promise;
  }

  stop(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    clearTimeout(this.#reconnectTimer);
    this.#socket?.close(1000, 'listener stopping');
    this.#done.resolve(0);
  }

  get endpoint(): string {
    const url = new URL(this.#options.relayUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.pathname = `${url.pathname.replace(/\/$/, '')}/api/tunnel/${this.#options.name}`;
    return url.toString();
  }

  #connect(): void {
    if (this.#stop.signal.aborted) return;
    const headers: Record<string, string> = this.#options.key ? { authorization: `Bearer ${this.#options.key}` } : {};
    const socket = new WebSocket(this.endpoint, { headers, handshakeTimeout: 10_000, maxPayload: 64 * 1024 * 1024 });
    this.#socket = socket;
    let isRefused = false;
    let closeReason: string | undefined;
    const heartbeat = this.#startHeartbeat(socket);
    socket.on('unexpected-response', (_request, response) => {
      isRefused = FATAL_STATUSES.has(response.statusCode ?? 0);
      void readError(response).then((error) => {
        if (isRefused) this.#refuse(response.statusCode ?? 0, error);
        else closeReason ??= `the relay answered ${response.statusCode} ${error.code}`;
        socket.terminate();
      });
    });
    socket.on('message', (data) => this.#onMessage(socket, data.toString('utf8')));
    socket.on('error', (error) => { closeReason ??= describeSocketError(error); });
    socket.on('close', (code, reason) => {
      clearInterval(heartbeat);
      if (isRefused || this.#stop.signal.aborted) return;
      this.#scheduleReconnect(code === 1006 || code === 1005 ? closeReason ?? 'connection lost' : `closed by the relay (${code}${reason.length ? ` ${reason.toString('utf8')}` : ''})`);
    });
  }

  #startHeartbeat(socket: WebSocket): NodeJS.Timeout {
    let isAlive = true;
    socket.on('pong', () => { isAlive = true; });
    const timer = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      if (!isAlive) {
        socket.terminate();
        return;
      }
      isAlive = false;
      socket.ping();
    }, this.#options.pingIntervalMs ?? 15_000);
    timer.unref();
    return timer;
  }

  #onMessage(socket: WebSocket, text: string): void {
    const frame = parseRelayFrame(text);
    if (!frame) return;
    if (frame.type === 'ready') {
      this.#failures = 0;
      this.#onEvent({ kind: 'connected', url: this.endpoint });
      return;
    }
    void forwardLocally(frame, this.#options.forwardTo, this.#stop.signal).then((result) => {
      // Stopped meanwhile: no answer, so the relay sends it again.
      if (this.#stop.signal.aborted || socket.readyState !== WebSocket.OPEN) return;
      socket.send(JSON.stringify(result));
      this.#onEvent({ kind: 'delivery', frame, result, body: Buffer.from(frame.bodyBase64, 'base64') });
    });
  }

  #scheduleReconnect(reason: string): void {
    this.#failures += 1;
    const { first, max } = this.#options.backoffMs ?? { first: 500, max: 30_000 };
    const base = Math.min(max, first * 2 ** Math.min(this.#failures - 1, 16));
    const retryInMs = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#onEvent({ kind: 'disconnected', reason, retryInMs, attempt: this.#failures });
    this.#reconnectTimer = setTimeout(() => this.#connect(), retryInMs);
  }

  #refuse(status: number, error: { code: string; message: string }): void {
    this.#onEvent({ kind: 'refused', status, ...error });
    this.#stop.abort();
    this.#done.resolve(1);
  }
}

async function readError(response: IncomingMessage): Promise<{ code: string; message: string }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response) chunks.push(chunk as Buffer);
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: string; message?: string } };
    return { code: parsed.error?.code ?? 'UNKNOWN', message: parsed.error?.message ?? `HTTP ${response.statusCode}` };
  } catch {
    return { code: 'UNKNOWN', message: `HTTP ${response.statusCode}` };
  }
}

function describeSocketError(error: Error): string {
  const code = (error as { code?: string }).code;
  return code ? `${code}: ${error.message}` : error.message;
}
