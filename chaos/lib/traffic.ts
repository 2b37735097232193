import { Agent, request } from 'undici';

export interface TrafficCounts {
  sent: number;
  acknowledged: Set<string>;
  refused: number;
}

/**
 * A steady stream of registrations and pushes, like business servers and WeChat
 * together. WeChat retries a push that is not answered `success` (three tries);
 * a push is "acknowledged" only when one try got `success`.
 */
export class Traffic {
  readonly counts: TrafficCounts = { sent: 0, acknowledged: new Set(), refused: 0 };
  #relayUrl: () => string;
  #sinkUrl: string;
  #running = false;
  #loops: Promise<void>[] = [];
  #next = 0;
  readonly #agent = new Agent({ connections: 32, connect: { timeout: 2000 }, headersTimeout: 5000, bodyTimeout: 5000 });
  readonly #prefix: string;

  constructor(relayUrl: () => string, sinkUrl: string, prefix: string) {
    this.#relayUrl = relayUrl;
    this.#sinkUrl = sinkUrl;
    this.#prefix = prefix;
  }

  start(concurrency = 8): void {
    this.#running = true;
    this.#loops = Array.from({ length: concurrency }, () => this.#loop());
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    await this.#agent.close();
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const traceId = `${this.#prefix}-${this.#next++}`;
      if (!(await this.#try(() => this.#post('/api/moderate/trace', JSON.stringify({ trace_id: traceId, server_uri: `${this.#sinkUrl}/cb` })), (status) => status < 300))) continue;
      this.counts.sent += 1;
      const body = JSON.stringify({ MsgType: 'event', Event: 'wxa_media_check', trace_id: traceId, result: { suggest: 'pass', label: 100 } });
      const isAcked = await this.#try(() => this.#post('/api/wechat', body), (status, text) => status === 200 && text === 'success');
      if (isAcked) this.counts.acknowledged.add(traceId);
      else this.counts.refused += 1;
    }
  }

  async #try(send: () => Promise<{ status: number; text: string }>, isDone: (status: number, text: string) => boolean): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const { status, text } = await send();
        if (isDone(status, text)) return true;
      } catch {
        // Relay down: like WeChat, wait and try again.
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    return false;
  }

  async #post(path: string, body: string): Promise<{ status: number; text: string }> {
    const response = await request(`${this.#relayUrl()}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: this.#agent });
    return { status: response.statusCode, text: await response.body.text() };
  }
}

/** Per trace id: acknowledged but never forwarded (lost), and forwarded more than once. */
export function tally(acknowledged: ReadonlySet<string>, forwards: ReadonlyMap<string, number>): { forwarded: number; lost: string[]; twice: number } {
  const lost = [...acknowledged].filter((traceId) => !forwards.has(traceId));
  const twice = [...forwards.values()].filter((count) => count > 1).length;
  return { forwarded: forwards.size, lost, twice };
}
