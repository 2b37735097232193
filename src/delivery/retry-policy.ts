import type { AttemptVerdict } from '../storage/relay-store.ts';
import { TraceError } from '../model/trace-status.ts';
import { AttemptOutcome } from '../model/delivery-status.ts';

export interface RetryPolicy {
  /** Delay before attempt n+1 after attempt n failed; attempts = length + 1. */
  readonly scheduleMs: readonly number[];
  /** Largest Retry-After honoured, ms. */
  readonly retryAfterMaxMs: number;
  /** Each delay is spread by ±ratio so retries of many deliveries do not arrive in lockstep. */
  readonly jitterRatio: number;
  /** No retry is scheduled later than this long after the trace's deadline, ms; undefined = the schedule alone decides. */
  readonly retryBudgetMs?: number;
}

/** What one attempt came to, as the policy needs to see it. */
export interface AttemptResult {
  outcome: AttemptOutcome;
  httpStatus: number | null;
  /** The server's Retry-After, ms from now, when it sent one. */
  retryAfterMs: number | null;
}

/** Statuses that say "never again": the destination is gone for good. */
const STOP_STATUSES: ReadonlySet<number> = new Set([410]);

/**
 * Decides what follows an attempt: delivered, another try later, or the end.
 * Pure: time and randomness come in as arguments.
 */
export function decideVerdict(policy: RetryPolicy, attempt: number, result: AttemptResult, now: number, random: number, deadlineAt?: number): AttemptVerdict {
  if (result.outcome === AttemptOutcome.success) return { kind: 'delivered' };
  // The relay refused to send (not the business server's fault): retrying cannot help.
  if (result.outcome === AttemptOutcome.refused) return { kind: 'failed', traceError: TraceError.callback };
  if (result.httpStatus !== null && STOP_STATUSES.has(result.httpStatus)) return { kind: 'failed', traceError: TraceError.bizServer };
  const delay = retryDelayMs(policy, attempt, result.retryAfterMs, random);
  if (delay === undefined) return { kind: 'failed', traceError: TraceError.bizServer };
  // A verdict long past its deadline is useless to the business server: stop at the budget.
  if (policy.retryBudgetMs !== undefined && deadlineAt !== undefined && now + delay > deadlineAt + policy.retryBudgetMs) {
    return { kind: 'failed', traceError: TraceError.bizServer };
  }
  return { kind: 'retry', nextAttemptAt: now + delay };
}

/** The wait after failed attempt `attempt` (1-based), or undefined when the schedule is spent. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs: number | null, random: number): number | undefined {
  const base = policy.scheduleMs[attempt - 1];
  if (base === undefined) return undefined;
  const jittered = Math.round(base * (1 + policy.jitterRatio * (2 * random - 1)));
  if (retryAfterMs === null) return jittered;
  // Retry-After may only lengthen the wait, and never past the bound.
  return Math.max(jittered, Math.min(Math.max(retryAfterMs, 0), policy.retryAfterMaxMs));
}

/** Reads Retry-After (delta-seconds or an HTTP date) into ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
