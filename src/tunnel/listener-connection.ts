import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { AttemptOutcome } from '../model/delivery-status.ts';
import type { SendResult } from '../delivery/http-sender.ts';
import { parseRetryAfter } from '../delivery/retry-policy.ts';
import { parseResultFrame, TUNNEL_PROTOCOL_VERSION, type DeliveryFrame, type RelayFrame, type ResultFrame } from './tunnel-protocol.ts';

/** WebSocket close codes the relay uses (RFC 6455 §7.4.1). */
export const CLOSE_CODE = { normal: 1000, goingAway: 1001, malformed: 1007, policy: 1008, tooBig: 1009 } as const;

export interface ListenerConnectionOptions {
  name: string;
  /** Bytes of the local response kept for the attempt log. */
  excerptBytes: number;
  /** A listener that misses a whole interval of pings is cut off. */
  pingIntervalMs: number;
  /**
   * Longest wait of an attempt queued behind the one in flight, ms. It must end
   * well inside the worker's lease, or a second claim could send the delivery twice.
   */
  maxQueueWaitMs: number;
}

interface QueuedAttempt {
  id: string;
  frame: Omit<DeliveryFrame, 'type' | 'id'>;
  queuedAt: number;
}

interface PendingAttempt {
  resolve: (result: SendResult) => void;
  timer: NodeJS.Timeout;
  startedAt: number;
}

/**
 * One connected `callback-relay listen` client. It carries attempts and turns the
 * answers into the same SendResult an HTTP attempt gives. An attempt that has no
 * answer when the socket goes away counts as not acknowledged (network_error), so
 * the retry policy sends it again.
 */
export class ListenerConnection {
  readonly id = randomUUID();
  readonly name: string;
  readonly #socket: WebSocket;
  readonly #logger: Logger;
  readonly #options: ListenerConnectionOptions;
  readonly #pending = new Map<string, PendingAttempt>();
  /** One attempt in flight per listener, the rest wait here oldest first: deliveries arrive in order. */
  readonly #queue: QueuedAttempt[] = [];
  readonly #queued = new Map<string, (result: SendResult) => void>();
  readonly #heartbeat: NodeJS.Timeout;
  #isAlive = true;
  #lastAssignedAt = 0;
  #isClosed = false;
  #onClose: (() => void) | undefined;

  constructor(socket: WebSocket, options: ListenerConnectionOptions, logger: Logger) {
    this.#socket = socket;
    this.name = options.name;
    this.#options = options;
    this.#logger = logger;
    socket.on('message', (data, isBinary) => this.#onMessage(data.toString('utf8'), isBinary));
    socket.on('pong', () => { this.#isAlive = true; });
    socket.on('close', () => this.#closed());
    socket.on('error', (error) => this.#logger.warn({ err: error }, 'tunnel listener socket error'));
    // A laptop that sleeps keeps no socket open but sends no FIN either: pings find it.
    this.#heartbeat = setInterval(() => this.#ping(), options.pingIntervalMs);
    this.#heartbeat.unref();
    this.#send({ type: 'ready', name: this.name, version: TUNNEL_PROTOCOL_VERSION });
  }

  /** Attempts in flight or queued on this connection; the hub gives new work to the least busy. */
  get load(): number {
    return this.#pending.size + this.#queue.length;
  }

  /** False from the moment a close begins (either side), not only once the TCP connection is gone. */
  get isOpen(): boolean {
    return !this.#isClosed && this.#socket.readyState === this.#socket.OPEN;
  }

  /** When this listener was last given work (performance.now()); ties in load go to the longest idle. */
  get lastAssignedAt(): number {
    return this.#lastAssignedAt;
  }

  onClose(listener: () => void): void {
    this.#onClose = listener;
  }

  /** Queues one attempt and resolves with its result, a timeout, or "not acknowledged". */
  deliver(frame: Omit<DeliveryFrame, 'type' | 'id'>): Promise<SendResult> {
    const id = randomUUID();
    this.#lastAssignedAt = performance.now();
    return new Promise((resolve) => {
      this.#queued.set(id, resolve);
      this.#queue.push({ id, frame, queuedAt: performance.now() });
      this.#sendNext();
    });
  }

  #sendNext(): void {
    while (this.#pending.size === 0 && this.#queue.length > 0) {
      const next = this.#queue.shift() as QueuedAttempt;
      const resolve = this.#queued.get(next.id);
      this.#queued.delete(next.id);
      if (!resolve) continue;
      if (performance.now() - next.queuedAt > this.#options.maxQueueWaitMs) {
        resolve(failure(AttemptOutcome.timeout, `the listener of tunnel ${this.name} was busy for more than ${this.#options.maxQueueWaitMs} ms`, 0));
        continue;
      }
      this.#start(next.id, next.frame, resolve);
    }
  }

  #start(id: string, frame: Omit<DeliveryFrame, 'type' | 'id'>, resolve: (result: SendResult) => void): void {
    const startedAt = performance.now();
    const timer = setTimeout(() => {
      this.#settle(id, failure(AttemptOutcome.timeout, `the listener did not answer within ${frame.timeoutMs} ms`, performance.now() - startedAt));
    }, frame.timeoutMs);
    this.#pending.set(id, { resolve, timer, startedAt });
    if (!this.#send({ type: 'delivery', id, ...frame })) this.#settle(id, failure(AttemptOutcome.networkError, 'the listener went away before the delivery was sent', 0));
  }

  /** Closes from the relay's side (shutdown); attempts in flight count as not acknowledged. */
  close(code: number = CLOSE_CODE.goingAway, reason = 'relay stopping'): void {
    if (this.#socket.readyState === this.#socket.OPEN || this.#socket.readyState === this.#socket.CONNECTING) this.#socket.close(code, reason);
    this.#closed();
  }

  #onMessage(text: string, isBinary: boolean): void {
    const frame = isBinary ? undefined : parseResultFrame(text);
    if (!frame) {
      // Only this listener is cut; others on the same name keep working.
      this.#logger.warn({ tunnel: this.name }, 'malformed frame from a tunnel listener; closing that connection');
      this.close(CLOSE_CODE.malformed, 'malformed frame');
      return;
    }
    const pending = this.#pending.get(frame.id);
    // An answer after the relay gave up on the attempt: already recorded as a timeout.
    if (!pending) return;
    this.#settle(frame.id, this.#toSendResult(frame, pending));
  }

  #toSendResult(frame: ResultFrame, pending: PendingAttempt): SendResult {
    const durationMs = Math.min(frame.durationMs, performance.now() - pending.startedAt);
    const excerpt = frame.excerpt === null ? null : truncateUtf8(frame.excerpt, this.#options.excerptBytes);
    if (frame.status === null) {
      const outcome = frame.failure?.kind === 'timeout' ? AttemptOutcome.timeout : AttemptOutcome.networkError;
      return { ...failure(outcome, `listener: ${frame.failure?.message ?? 'the local server did not answer'}`, durationMs), responseExcerpt: excerpt };
    }
    const isSuccess = frame.status >= 200 && frame.status < 300;
    return {
      outcome: isSuccess ? AttemptOutcome.success : AttemptOutcome.httpError,
      httpStatus: frame.status,
      durationMs,
      retryAfterMs: parseRetryAfter(frame.retryAfter ?? undefined, Date.now()),
      errorMessage: isSuccess ? null : `HTTP ${frame.status} (via tunnel ${this.name})`,
      responseExcerpt: excerpt,
    };
  }

  #settle(id: string, result: SendResult): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(result);
    this.#sendNext();
  }

  #send(frame: RelayFrame): boolean {
    if (this.#isClosed || this.#socket.readyState !== this.#socket.OPEN) return false;
    this.#socket.send(JSON.stringify(frame));
    return true;
  }

  #ping(): void {
    if (!this.#isAlive) {
      this.#logger.warn({ tunnel: this.name }, 'tunnel listener missed its pings; dropping the connection');
      this.#socket.terminate();
      this.#closed();
      return;
    }
    this.#isAlive = false;
    this.#socket.ping();
  }

  #closed(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearInterval(this.#heartbeat);
    const gone = failure(AttemptOutcome.networkError, `the listener of tunnel ${this.name} disconnected before answering`, 0);
    for (const id of [...this.#pending.keys()]) this.#settle(id, gone);
    // Never sent: another listener of the name (or a later one) gets them on the next claim.
    for (const resolve of this.#queued.values()) resolve({ ...gone, errorMessage: `the listener of tunnel ${this.name} disconnected before this delivery was sent` });
    this.#queued.clear();
    this.#queue.length = 0;
    this.#onClose?.();
  }
}

function failure(outcome: AttemptOutcome, message: string, durationMs: number): SendResult {
  return { outcome, httpStatus: null, durationMs, retryAfterMs: null, errorMessage: message, responseExcerpt: null };
}

/** Cuts a string to at most `bytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, bytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return text;
  return new TextDecoder('utf-8', { fatal: false }).decode(buffer.subarray(0, bytes)).replace(/\uFFFD$/, '');
}
