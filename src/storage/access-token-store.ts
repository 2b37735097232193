/**
 * The app's access_token as the relay keeps it for every instance: one row per app,
 * with the renewal lease that lets one instance at a time ask WeChat for a new one.
 */
export interface AccessTokenRecord {
  appId: string;
  /** Null until the first renewal succeeded. */
  token: string | null;
  expiresAt: number | null;
  fetchedAt: number | null;
  /** The last renewal's failure (WeChat's errcode and errmsg, or why WeChat was not reached); null once one succeeds. */
  lastError: string | null;
  lastErrorAt: number | null;
  /** When a renewal last forced a new token (`force_refresh`), and how many times on that day. */
  forcedAt: number | null;
  forcedDay: number | null;
  forcedCount: number;
}

export interface RenewedToken {
  token: string;
  expiresAt: number;
  /** Set when this renewal forced the token: the day it counts against, and the count that day. */
  forced?: { day: number; count: number };
}

/** Storage role of the token keeper. */
export interface AccessTokens {
  readAccessToken(appId: string): Promise<AccessTokenRecord | undefined>;
  /** Takes the app's renewal lease unless another owner holds one that has not run out; true when this owner holds it. */
  claimTokenRenewal(appId: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  /** Stores a new token and frees the lease, if this owner still holds it; false when it did not (the token is then not stored). */
  saveAccessToken(appId: string, owner: string, renewed: RenewedToken, now: number): Promise<boolean>;
  /** Records why a renewal failed and frees the lease, if this owner holds it. */
  recordTokenFailure(appId: string, owner: string, error: string, now: number): Promise<void>;
}
