import { isIP } from 'node:net';
import { LRUCache } from 'lru-cache';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { refusalForAddress } from '../destination/address-policy.ts';
import { bareHost, checkDestination, type DestinationRules, type DestinationVerdict } from '../destination/destination-rules.ts';
import { createGuardedLookup, DestinationRefusedError, isDestinationRefused, type LookupFunction } from '../destination/guarded-lookup.ts';
import { AttemptOutcome } from '../model/delivery-status.ts';
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
  /** Where the relay may send; cloud metadata addresses are refused even without rules. */
  destinationRules?: DestinationRules;
  /** Resolver behind the address check (tests inject one); default `dns.lookup`. */
  lookup?: LookupFunction;
}

const OPEN_RULES: DestinationRules = { allowedPrefixes: [], blockPrivate: false };

/**
 * A connector that checks the address it is about to connect to: literal IPs
 * here, names through the guarded lookup, so no request reaches a refused address.
 */
function createGuardedConnector(rules: DestinationRules, timeoutMs: number, lookup?: LookupFunction): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs, lookup: createGuardedLookup(rules, lookup) } as buildConnector.BuildOptions);
  return (options, callback) => {
    const host = bareHost(options.hostname);
    const refusal = isIP(host) !== 0 ? refusalForAddress(host, rules) : undefined;
    if (refusal) {
      callback(new DestinationRefusedError(`refused to connect to ${host}: it is ${refusal}`), null);
      return;
    }
    connect(options, callback);
  };
}

/** Sends forwards over keep-alive connections; never follows redirects. */
export class HttpSender {
  readonly #dispatcher: Dispatcher;
  readonly #timeoutMs: number;
  readonly #excerptBytes: number;
  readonly #rules: DestinationRules;
  /**
   * The URL rules' verdict per destination: a pure function of the URL and this
   * sender's fixed rules, so it is worked out once, not parsed again on every send.
   */
  readonly #verdicts = new LRUCache<string, DestinationVerdict>({ max: 4096 });

  constructor(options: HttpSenderOptions, dispatcher?: Dispatcher) {
    this.#timeoutMs = options.attemptTimeoutMs;
    this.#excerptBytes = options.excerptBytes ?? 1024;
    this.#rules = options.destinationRules ?? OPEN_RULES;
    this.#dispatcher = dispatcher ?? new Agent({
      connections: 64,
      keepAliveTimeout: 10_000,
      connect: createGuardedConnector(this.#rules, options.attemptTimeoutMs, options.lookup),
    });
  }

  async send(forward: ForwardRequest, now: () => number): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    // Rules may have tightened since registration: check again before every send.
    const verdict = this.#verdictFor(forward.url);
    if (!verdict.isAllowed) return refused(`destination refused: ${verdict.reason}`, elapsed());
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
      if (isDestinationRefused(error)) return refused(describeNetworkError(error), elapsed());
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

  #verdictFor(url: string): DestinationVerdict {
    let verdict = this.#verdicts.get(url);
    if (!verdict) {
      verdict = checkDestination(url, this.#rules);
      this.#verdicts.set(url, verdict);
    }
    return verdict;
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

function refused(message: string, durationMs: number): SendResult {
  return { outcome: AttemptOutcome.refused, httpStatus: null, durationMs, retryAfterMs: null, errorMessage: message, responseExcerpt: null };
}

function describeNetworkError(error: unknown): string {
  if (error instanceof DestinationRefusedError) return error.message;
  if ((error as { cause?: unknown }).cause instanceof DestinationRefusedError) return ((error as { cause: Error }).cause).message;
  const { code, message } = error as { code?: string; message?: string };
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return [code ?? cause?.code, message ?? cause?.message].filter(Boolean).join(': ') || 'network error';
}
