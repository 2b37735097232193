import { describe, expect, it } from 'vitest';
import { AttemptOutcome } from '../../src/model/delivery-status.ts';
import { decideVerdict, parseRetryAfter, retryDelayMs, type RetryPolicy } from '../../src/delivery/retry-policy.ts';

const policy: RetryPolicy = { scheduleMs: [1000, 5000, 60_000], retryAfterMaxMs: 3_600_000, jitterRatio: 0.2 };
const http = (status: number, retryAfterMs: number | null = null) => ({ outcome: AttemptOutcome.httpError, httpStatus: status, retryAfterMs });

describe('retry policy', () => {
  it('follows the schedule, one delay per failed attempt, then gives up', () => {
    expect(retryDelayMs(policy, 1, null, 0.5)).toBe(1000);
    expect(retryDelayMs(policy, 2, null, 0.5)).toBe(5000);
    expect(retryDelayMs(policy, 3, null, 0.5)).toBe(60_000);
    expect(retryDelayMs(policy, 4, null, 0.5)).toBeUndefined();
    expect(decideVerdict(policy, 4, http(500), 0, 0.5)).toEqual({ kind: 'failed', traceError: 'BIZ_SERVER_ERROR' });
  });

  it('spreads each delay by at most the jitter ratio', () => {
    expect(retryDelayMs(policy, 2, null, 0)).toBe(4000);
    expect(retryDelayMs(policy, 2, null, 1)).toBe(6000);
  });

  it('lets Retry-After lengthen a wait, within the bound, never shorten it', () => {
    expect(retryDelayMs(policy, 1, 30_000, 0.5)).toBe(30_000);
    expect(retryDelayMs(policy, 3, 10, 0.5)).toBe(60_000);
    expect(retryDelayMs(policy, 1, 99 * 3_600_000, 0.5)).toBe(3_600_000);
  });

  it('delivers on success, stops at once on 410 and on a refusal by the relay itself', () => {
    expect(decideVerdict(policy, 1, { outcome: AttemptOutcome.success, httpStatus: 200, retryAfterMs: null }, 0, 0.5)).toEqual({ kind: 'delivered' });
    expect(decideVerdict(policy, 1, http(410), 0, 0.5)).toEqual({ kind: 'failed', traceError: 'BIZ_SERVER_ERROR' });
    expect(decideVerdict(policy, 1, { outcome: AttemptOutcome.refused, httpStatus: null, retryAfterMs: null }, 0, 0.5)).toEqual({ kind: 'failed', traceError: 'CALLBACK_ERROR' });
  });

  it('retries timeouts, network errors and 5xx/4xx at now + delay', () => {
    for (const result of [http(500), http(404), http(429), { outcome: AttemptOutcome.timeout, httpStatus: null, retryAfterMs: null }, { outcome: AttemptOutcome.networkError, httpStatus: null, retryAfterMs: null }]) {
      expect(decideVerdict(policy, 1, result, 10_000, 0.5)).toEqual({ kind: 'retry', nextAttemptAt: 11_000 });
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter(new Date(65_000).toUTCString(), 5_000)).toBe(60_000);
    expect(parseRetryAfter('soon', 0)).toBeNull();
    expect(parseRetryAfter(undefined, 0)).toBeNull();
  });
});
