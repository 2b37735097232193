import type { ForwardRequest } from './forward-request.ts';
import type { SendResult } from './http-sender.ts';

/** One way of carrying a forward to its destination (HTTP, a dev tunnel, …). */
export interface Sender {
  send(forward: ForwardRequest, now: () => number): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * Picks the transport by the destination's scheme (`https:`, `tunnel:`, …), so the
 * worker's lease and verdict logic stays the same whatever carries the bytes.
 */
export class SchemeSender implements Sender {
  readonly #byScheme: ReadonlyMap<string, Sender>;
  readonly #fallback: Sender;

  /** `byScheme` keys are schemes without the colon; anything else goes to `fallback`. */
  constructor(fallback: Sender, byScheme: Record<string, Sender> = {}) {
    this.#fallback = fallback;
    this.#byScheme = new Map(Object.entries(byScheme));
  }

  send(forward: ForwardRequest, now: () => number): Promise<SendResult> {
    return this.#senderFor(forward.url).send(forward, now);
  }

  #senderFor(url: string): Sender {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
    return (scheme !== undefined ? this.#byScheme.get(scheme) : undefined) ?? this.#fallback;
  }

  async close(): Promise<void> {
    await Promise.all([this.#fallback, ...this.#byScheme.values()].map((sender) => sender.close()));
  }
}
