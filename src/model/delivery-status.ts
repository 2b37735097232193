/**
 * A delivery is one message (a forwarded callback or a timeout notice) to one
 * destination, attempted until it succeeds or the schedule runs out.
 */
export const DeliveryStatus = {
  /** Waiting for `next_attempt_at`. */
  pending: 'pending',
  /** Leased by a worker; if the lease runs out (worker killed) it is claimed again. */
  delivering: 'delivering',
  delivered: 'delivered',
  failed: 'failed',
} as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

export const DeliveryKind = {
  /** The provider's callback, forwarded as it came. */
  callback: 'callback',
  /** The relay's own notice that no callback came before the deadline. */
  timeout: 'timeout',
  /** An event without a registered id, sent to a routing rule's destination. */
  routed: 'routed',
} as const;
export type DeliveryKind = (typeof DeliveryKind)[keyof typeof DeliveryKind];

const ALLOWED: Readonly<Record<DeliveryStatus, readonly DeliveryStatus[]>> = {
  pending: ['delivering'],
  // delivering → delivering: a lease that ran out is claimed again.
  delivering: ['delivering', 'delivered', 'pending', 'failed'],
  delivered: [],
  failed: [],
};

export function canDeliveryTransition(from: DeliveryStatus, to: DeliveryStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** How one attempt ended, as recorded in the attempt log. */
export const AttemptOutcome = {
  success: 'success',
  httpError: 'http_error',
  timeout: 'timeout',
  networkError: 'network_error',
  /** The relay refused to send (e.g. destination no longer allowed); never retried. */
  refused: 'refused',
  /**
   * Not sent: the destination's circuit is open after repeated failures. Counts as
   * a failed try, so the schedule (and the trace's end) advance as if it had been sent.
   */
  circuitOpen: 'circuit_open',
} as const;
export type AttemptOutcome = (typeof AttemptOutcome)[keyof typeof AttemptOutcome];
