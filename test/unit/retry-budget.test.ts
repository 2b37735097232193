import { describe, expect, it } from 'vitest';
import { decideVerdict } from '../../src/delivery/retry-policy.ts';

describe('retry budget tied to the deadline', () => {
  const failure = { outcome: 'http_error' as const, httpStatus: 500, retryAfterMs: null };
  const policy = { scheduleMs: [60_000, 60_000], retryAfterMaxMs: 3_600_000, jitterRatio: 0, retryBudgetMs: 90_000 };

  it('retries while the next try falls within deadline + budget, and fails after', () => {
    expect(decideVerdict(policy, 1, failure, 1_000, 0.5, 50_000)).toEqual({ kind: 'retry', nextAttemptAt: 61_000 });
    expect(decideVerdict(policy, 1, failure, 90_000, 0.5, 50_000)).toEqual({ kind: 'failed', traceError: 'BIZ_SERVER_ERROR' });
  });

  it('leaves the schedule alone without a budget or a deadline', () => {
    expect(decideVerdict({ ...policy, retryBudgetMs: undefined }, 1, failure, 90_000, 0.5, 50_000).kind).toBe('retry');
    expect(decideVerdict(policy, 1, failure, 90_000, 0.5).kind).toBe('retry');
  });
});
