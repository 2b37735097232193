/**
 * The closed vocabulary of a trace's status (the contract's names) and the only
 * transitions allowed between them. Storage writes each transition as a
 * conditional update on the `from` status, so a lost race changes nothing.
 */
export const TraceStatus = {
  /** Registered, waiting for the provider's callback. */
  pending: 'pending',
  /** Callback in hand, being forwarded. */
  delivering: 'delivering',
  delivered: 'delivered',
  /** Every forwarding attempt failed. */
  failed: 'failed',
  /** No callback before the deadline; the business server is told. */
  timedOut: 'timed_out',
} as const;
export type TraceStatus = (typeof TraceStatus)[keyof typeof TraceStatus];

/** The contract's three error kinds. */
export const TraceError = {
  /** No callback before the deadline. */
  wxTimeout: 'WX_TIMEOUT_ERROR',
  /** The relay itself could not handle the trace. */
  callback: 'CALLBACK_ERROR',
  /** The business server answered non-2xx or not at all. */
  bizServer: 'BIZ_SERVER_ERROR',
} as const;
export type TraceError = (typeof TraceError)[keyof typeof TraceError];

const ALLOWED: Readonly<Record<TraceStatus, readonly TraceStatus[]>> = {
  pending: ['delivering', 'timed_out'],
  // A callback after the deadline is still forwarded (flagged late).
  timed_out: ['delivering'],
  delivering: ['delivered', 'failed'],
  // Replays, and a source's further pushes under one id, start a new delivery from a finished trace;
  // with several deliveries, the trace follows the one that finished last.
  delivered: ['delivering', 'failed'],
  failed: ['delivering', 'delivered'],
};

export function canTransition(from: TraceStatus, to: TraceStatus): boolean {
  return ALLOWED[from].includes(to);
}

/**
 * Statuses a callback's delivery, finishing, never moves a trace from: a trace with a
 * delivery is past them. From any other (delivering; delivered or failed by another
 * delivery that finished first) it follows the delivery that finished last.
 */
export const TRACE_STATUSES_NO_DELIVERY_FINISHES: readonly TraceStatus[] = [TraceStatus.pending, TraceStatus.timedOut];

/** Statuses from which an arriving callback starts a delivery. */
export const STATUSES_ACCEPTING_CALLBACK: readonly TraceStatus[] = [TraceStatus.pending, TraceStatus.timedOut];
