import { Agent, request } from 'undici';

/** One try of a request: when it left, when its answer came, what the answer was (null: no answer). */
export interface Answer {
  sentAt: number;
  answeredAt: number;
  status: number | null;
  isDone: boolean;
}

export interface TrafficCounts {
  sent: number;
  acknowledged: Set<string>;
  refused: number;
}

/**
 * A steady stream of registrations and pushes, like business servers and WeChat
 * together. WeChat retries a push that is not answered `success` (three tries);
 * a push is "acknowledged" only when one try got `success`. Every try is logged
 * with its time, so a case can tell what was answered while a service was down.
 */
export class Traffic {
  readonly counts: TrafficCounts = { sent: 0, acknowledged: new Set(), refused: 0 };
  readonly answers: { registrations: Answer[]; pushes: Answer[] } = { registrations: [], pushes: [] };
  #relayUrl: () => string;
  #sinkUrl: string;
  #running = false;
  #loops: Promise<void>[] = [];
  #next = 0;
  readonly #agent = new Agent({ connections: 32, connect: { timeout: 2000 }, headersTimeout: 5000, bodyTimeout: 5000 });
  readonly #prefix: string;

  /** `relayUrl` is asked before every try, so tries can be spread over instances. */
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

  /** A trace id no loop has used. */
  nextTraceId(): string {
    return `${this.#prefix}-${this.#next++}`;
  }

  /** Registers a trace the way a business server does; true when the relay took it. */
  register(traceId: string): Promise<boolean> {
    const body = JSON.stringify({ trace_id: traceId, server_uri: `${this.#sinkUrl}/cb` });
    return this.#try(() => this.#post('/api/moderate/trace', body), (status) => status < 300, this.answers.registrations);
  }

  /** Pushes a verdict the way WeChat does, and counts it: sent, then acknowledged or refused. */
  async push(traceId: string): Promise<boolean> {
    this.counts.sent += 1;
    const body = JSON.stringify({ MsgType: 'event', Event: 'wxa_media_check', trace_id: traceId, result: { suggest: 'pass', label: 100 } });
    const isAcked = await this.#try(() => this.#post('/api/wechat', body), (status, text) => status === 200 && text === 'success', this.answers.pushes);
    if (isAcked) this.counts.acknowledged.add(traceId);
    else this.counts.refused += 1;
    return isAcked;
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const traceId = this.nextTraceId();
      if (await this.register(traceId)) await this.push(traceId);
    }
  }

  async #try(send: () => Promise<{ status: number; text: string }>, isDone: (status: number, text: string) => boolean, log: Answer[]): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const answer: Answer = { sentAt: Date.now(), answeredAt: 0, status: null, isDone: false };
      try {
        const { status, text } = await send();
        answer.status = status;
        answer.isDone = isDone(status, text);
      } catch {
        // Relay down: like WeChat, wait and try again.
      }
      answer.answeredAt = Date.now();
      log.push(answer);
      if (answer.isDone) return true;
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
export function tally(acknowledged: ReadonlySet<string>, forwards: ReadonlyMap<string, readonly number[]>): { forwarded: number; lost: string[]; twice: number } {
  const lost = [...acknowledged].filter((traceId) => !forwards.has(traceId));
  const twice = [...forwards.values()].filter((times) => times.length > 1).length;
  return { forwarded: forwards.size, lost, twice };
}
