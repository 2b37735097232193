/** What became of a stored push. */
export const CallbackState = {
  /** Forwarded (or being forwarded) to its trace's server. */
  matched: 'matched',
  /** No registration yet: waits `parked_until` for one. */
  parked: 'parked',
  /** The grace window ran out with no registration; kept for the record. */
  expired: 'expired',
  /** Carries no correlation id and matched no routing rule: stored, acknowledged, counted. */
  unrouted: 'unrouted',
  /** Carries no correlation id; delivered to the destinations of a routing rule. */
  routed: 'routed',
  /** A repeat of a forwarded push with a different verdict; recorded, not forwarded. */
  conflict: 'conflict',
} as const;
export type CallbackState = (typeof CallbackState)[keyof typeof CallbackState];
