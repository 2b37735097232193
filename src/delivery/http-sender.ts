import { Agent, request, type Dispatcher } from 'undici';
import { AttemptOutcome } from './delivery-status.ts';
import type { ForwardRequest } from './forward-request.ts';
import { parseRetryAfter } from './retry-policy.ts';

export interface SendResult {
  outcome: AttemptOutcome;
  httpStatus: number | null;
  durationMs: number;
  retryAfterMs: number | null;
  errorMessage: string | null;
  responseExcerpt: string | null;
}

export interface HttpSenderOptions {
  /** Whole-attempt budget, connect to last body byte, ms. */
  attemptTimeoutMs: number;
  /** Bytes of the response kept for the attempt log. */
  excerptBytes?: number;
}

/** Sends forwards over keep-alive connections; never follows redirects. */
export class HttpSender {
  readonly #dispatcher: Dispatcher;
  readonly #timeoutMs: number;
  readonly #excerptBytes: number;

  constructor(options: HttpSenderOptions, dispatcher?: Dispatcher) {
    this.#timeoutMs = options.attemptTimeoutMs;
    this.#excerptBytes = options.excerptBytes ?? 1024;
    this.#dispatcher = dispatcher ?? new Agent({ connections: 64, keepAliveTimeout: 10_000, connect: { timeout: options.attemptTimeoutMs } });
  }

  async send(forward: ForwardRequest, now: () => number): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    try {
      const response = await request(forward.url, {
        method: 'POST',
        headers: forward.headers,
        body: forward.body,
        dispatcher: this.#dispatcher,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const excerpt = await this.#readExcerpt(response.body);
      const status = response.statusCode;
      const retryAfter = response.headers['retry-after'];
      return {
        outcome: status >= 200 && status < 300 ? AttemptOutcome.success : AttemptOutcome.httpError,
        httpStatus: status,
        durationMs: elapsed(),
        retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, now()),
        errorMessage: status >= 200 && status < 300 ? null : `HTTP ${status}`,
        responseExcerpt: excerpt,
      };
    } catch (error) {
      const isTimeout = (error as Error).name === 'TimeoutError' || (error as { code?: string }).code === 'UND_ERR_CONNECT_TIMEOUT';
      return {
        outcome: isTimeout ? AttemptOutcome.timeout : AttemptOutcome.networkError,
        httpStatus: null,
        durationMs: elapsed(),
        retryAfterMs: null,
        errorMessage: isTimeout ? `no answer within ${this.#timeoutMs} ms` : describeNetworkError(error),
        responseExcerpt: null,
      };
    }
  }

  /** Keeps the first bytes of a response and drops the rest without buffering it. */
  async #readExcerpt(body: Dispatcher.ResponseData['body']): Promise<string | null> {
    const chunks: Buffer[] = [];
    let kept = 0;
    for await (const chunk of body) {
      if (kept >= this.#excerptBytes) {
        body.destroy();
        break;
      }
      const buffer = chunk as Buffer;
      chunks.push(buffer.subarray(0, this.#excerptBytes - kept));
      kept += Math.min(buffer.length, this.#excerptBytes - kept);
    }
    if (kept === 0) return null;
    return Buffer.concat(chunks).toString('utf8');
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

function describeNetworkError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return [code ?? cause?.code, message ?? cause?.message].filter(Boolean).join(': ') || 'network error';
}
