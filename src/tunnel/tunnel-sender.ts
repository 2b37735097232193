import { AttemptOutcome } from '../model/delivery-status.ts';
import type { ForwardRequest } from '../delivery/forward-request.ts';
import type { SendResult } from '../delivery/http-sender.ts';
import type { Sender } from '../delivery/sender.ts';
import type { TunnelHub } from './tunnel-hub.ts';
import { parseTunnelUri } from '../destination/tunnel-uri.ts';

/** Carries `tunnel://<name>` forwards over a connected listener instead of HTTP. */
export class TunnelSender implements Sender {
  readonly #hub: TunnelHub;
  readonly #attemptTimeoutMs: number;

  constructor(hub: TunnelHub, attemptTimeoutMs: number) {
    this.#hub = hub;
    this.#attemptTimeoutMs = attemptTimeoutMs;
  }

  async send(forward: ForwardRequest): Promise<SendResult> {
    const target = parseTunnelUri(forward.url);
    if (!target) return noSend(AttemptOutcome.refused, `not a tunnel destination: ${forward.url}`);
    const listener = this.#hub.pick(target.name);
    // Reached only when the listener left between claim and send, or the wait is over.
    if (!listener) return noSend(AttemptOutcome.networkError, `no listener is connected to tunnel ${target.name}`);
    return listener.deliver({
      traceId: forward.headers['x-relay-trace-id'] ?? '',
      attempt: Number(forward.headers['x-relay-attempt'] ?? 1),
      path: target.path,
      headers: forward.headers,
      bodyBase64: forward.body.toString('base64'),
      timeoutMs: this.#attemptTimeoutMs,
    });
  }

  async close(): Promise<void> {
    this.#hub.closeAll();
  }
}

function noSend(outcome: AttemptOutcome, message: string): SendResult {
  return { outcome, httpStatus: null, durationMs: 0, retryAfterMs: null, errorMessage: message, responseExcerpt: null };
}
