import type { AttemptOutcome, DeliveryKind, DeliveryStatus } from '../model/delivery-status.ts';
import type { TraceError, TraceStatus } from '../model/trace-status.ts';
import type { CallbackState } from '../model/callback-state.ts';
import type { RouteTarget } from '../model/route-target.ts';
import type { AccessTokens } from './access-token-store.ts';

/**
 * The relay's storage, in the relay's words, one interface per role (below); each
 * consumer asks for the roles it uses. Every method is its own transaction
 * and every state change a conditional write, so any number of instances can share
 * one database. No driver type crosses this interface. Times are epoch ms from the
 * caller's Clock.
 */
export interface RelayStore extends Registrations, CallbackIntake, DeliveryQueue, Housekeeping, ReadModels, Administration, AccessTokens {
  readonly dialect: string;
  /** Applies pending migrations. */
  migrate(): Promise<void>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Registration: a trace and its server, adopting a push that came first. */
export interface Registrations {
  /** Registers a trace; adopts a parked callback for it in the same transaction. */
  register(input: NewRegistration, now: number): Promise<RegisterOutcome>;
}

/** Callback intake: a provider's push stored durably before it is acknowledged. */
export interface CallbackIntake {
  /** Stores a push durably and, when its trace is known, creates its delivery. */
  ingestCallback(input: IncomingCallback, now: number, parkedUntil: number): Promise<IngestOutcome>;
  /**
   * As ingestCallback, and in the same transaction leases the push's new delivery
   * to `lease.owner`, so that worker sends it at once instead of claiming it later.
   * `claim` is null when nothing was leased (no delivery, or one for a dev tunnel).
   */
  ingestAndLease(input: IncomingCallback, now: number, parkedUntil: number, lease: IngestLease): Promise<IngestResult>;
  /** Hands the trace's parked callback, if any, to it; true when a delivery started. */
  adoptParkedFor(appId: string, traceId: string, now: number): Promise<boolean>;
}

/** The delivery queue: claim with a lease, give back, complete. */
export interface DeliveryQueue {
  /**
   * Leases up to `limit` due deliveries (pending and due, or leased with the lease run out);
   * with a `scope`, only those this instance can carry (see ClaimScope).
   */
  claimDueDeliveries(owner: string, now: number, leaseMs: number, limit: number, scope?: ClaimScope): Promise<ClaimedDelivery[]>;
  /**
   * Gives a claimed delivery back unsent (its destination's circuit is open or busy):
   * due again at `retryAt`, the claim's attempt not counted. False if the lease was lost.
   */
  releaseClaim(claim: ClaimedDelivery, retryAt: number, now: number): Promise<boolean>;
  /** Records an attempt and applies its verdict if `claim` still holds the lease. */
  completeAttempt(claim: ClaimedDelivery, record: AttemptRecord, verdict: AttemptVerdict, now: number): Promise<boolean>;
  /**
   * Records many attempts in one transaction, each as completeAttempt would; per
   * completion in order, whether its verdict was applied. All or none are stored.
   */
  completeAttempts(completions: readonly AttemptCompletion[], now: number): Promise<boolean[]>;
  /** Earliest `next_attempt_at` among open deliveries, or null: how long a worker may sleep. */
  nextDueAt(scope?: ClaimScope): Promise<number | null>;
}

/** Sweeps and purges: deadlines, parked pushes, retention, and the pages an outside index is rebuilt from. */
export interface Housekeeping {
  /** Times out up to `limit` pending traces past their deadline, creating their notices. */
  expireOverdue(now: number, limit: number): Promise<number>;
  /**
   * One page of parked callbacks in arrival order from `from` (null: the oldest),
   * each matched to its trace if that trace has since been registered: closes a
   * cross-instance race. The caller continues from `next` until it is null.
   */
  adoptParkedCallbacks(from: ParkedCursor | null, limit: number, now: number): Promise<AdoptPage>;
  /** Marks parked callbacks past their grace window as expired (kept, not forwarded). */
  expireParked(now: number, limit: number): Promise<number>;
  /**
   * Retention: deletes up to `limit` delivered or timed-out traces last changed before
   * `cutoff` (none with a delivery still open), with their callbacks, deliveries and
   * attempts, and up to `limit` expired or unrouted callbacks received before it.
   */
  purgeRetired(cutoff: number, limit: number): Promise<PurgeCounts>;
  /**
   * Pending traces in deadline order, a page at a time after `after` (the last of the
   * previous page): what an external index (Redis) is rebuilt from.
   */
  listPendingTraces(after: PendingCursor | null, limit: number): Promise<TraceRecord[]>;
}

/** Read models for the dashboard, the admin API and the metrics. */
export interface ReadModels {
  getTrace(appId: string, traceId: string): Promise<TraceDetail | undefined>;
  /** Recent pushes, newest first (e.g. the unmatched ones of an app). */
  listCallbacks(filter: CallbackFilter): Promise<CallbackSummary[]>;
  /** One push with the deliveries it caused (routed events) and their attempts. */
  getCallback(id: string): Promise<CallbackDetail | undefined>;
  countBacklog(): Promise<Backlog>;
  /** One page of traces, newest first, matching `filter`; `after` continues from the previous page's `next`. */
  listTraces(filter: TraceFilter, after: TraceCursor | null, limit: number): Promise<TracePage>;
  /** How each destination has answered since `since`: attempts, successes, last answer, open deliveries. */
  summarizeDestinations(since: number, limit: number): Promise<DestinationHealth[]>;
  /** Pushes received, verdicts delivered or failed, and traces timed out, per `bucketMs` from `from` to `to`. */
  countActivity(from: number, to: number, bucketMs: number): Promise<ActivityBucket[]>;
  /** Newest first, up to `limit`, optionally older than `before` (epoch ms). */
  listAudit(limit: number, before?: number): Promise<AuditEntry[]>;
}

/** An operator's acts: replays and redrives, each audited. */
export interface Administration {
  /** Re-sends a trace's stored verdict (or its timeout notice) as a new delivery, audited. */
  replayTrace(appId: string, traceId: string, actor: string, now: number): Promise<ReplayOutcome>;
  /** How many traces a redrive with this filter would pick up now. */
  countRedrivable(filter: RedriveFilter): Promise<number>;
  /** Redrives one page of failed traces after `after` (registration order); the caller loops. */
  redriveFailedPage(filter: RedriveFilter, after: RedriveCursor | null, limit: number, actor: string, now: number): Promise<RedrivePage>;
  recordAudit(entry: AuditEntry): Promise<void>;
}

export type ReplayOutcome =
  | { kind: 'queued'; deliveryId: string; deliveryKind: DeliveryKind; trace: TraceRecord }
  | { kind: 'not_found' }
  /** Still pending: no verdict and no timeout yet. */
  | { kind: 'nothing_to_replay'; trace: TraceRecord }
  /** A delivery of the verdict is in progress; replaying now would race it. */
  | { kind: 'busy'; trace: TraceRecord };

/** Which failed traces a redrive picks up; every given field must hold. */
export interface RedriveFilter {
  /** Any of these apps; undefined = all. */
  appIds?: readonly string[];
  /** server_uri starts with this. */
  destinationPrefix?: string;
  /** server_uri starts with one of these (an API key's scope); undefined = any. */
  scopePrefixes?: readonly string[];
  /** Registered at or after, epoch ms. */
  since?: number;
  /** Registered before, epoch ms. */
  until?: number;
}

export interface RedriveCursor {
  createdAt: number;
  pk: string;
}

export interface RedrivePage {
  /** Rows read in this page (a short page ends the walk). */
  scanned: number;
  redriven: number;
  next: RedriveCursor | null;
}

export interface AuditEntry {
  id: string;
  at: number;
  /** `key:<id>` or `loopback`; never the key itself. */
  actor: string;
  action: string;
  appId: string | null;
  traceId: string | null;
  deliveryId: string | null;
  detail: Record<string, unknown> | null;
}

/**
 * Which deliveries an instance may claim. HTTP deliveries always; a dev tunnel's
 * deliveries only where a listener for that name is connected, so nothing spends
 * attempts while nobody listens, and only the instance holding the connection
 * claims them.
 */
export interface ClaimScope {
  /** Tunnel names with a listener connected to this instance. */
  tunnelNames: readonly string[];
  /** Tunnel deliveries created at or before this time have waited long enough: any instance attempts them. */
  tunnelWaitEndedAt: number;
}

export interface NewRegistration {
  appId: string;
  traceId: string;
  serverUri: string;
  deadlineAt: number;
}

export type RegisterOutcome =
  | { kind: 'created'; trace: TraceRecord; adoptedCallback: boolean }
  | { kind: 'existing'; trace: TraceRecord }
  | { kind: 'conflict'; trace: TraceRecord };

export interface IncomingCallback {
  appId: string;
  /** The id the push is keyed by; null for pushes that carry none. */
  correlationId: string | null;
  dedupeKey: string;
  event: string;
  contentType: string;
  body: string;
  fingerprint: string;
  /** For a push without correlation id: where routing rules send it (empty = unmatched). */
  routes?: readonly RouteTarget[];
}


export const IngestOutcome = {
  forwarded: 'forwarded',
  late: 'late',
  parked: 'parked',
  duplicate: 'duplicate',
  conflict: 'conflict',
  unrouted: 'unrouted',
  /** No correlation id; a routing rule sent it to its destinations. */
  routed: 'routed',
} as const;
export type IngestOutcome = (typeof IngestOutcome)[keyof typeof IngestOutcome];


export interface TraceRecord {
  pk: string;
  appId: string;
  traceId: string;
  serverUri: string;
  status: TraceStatus;
  error: TraceError | null;
  /** The callback forwarded for this trace, once one arrived. */
  callbackId: string | null;
  isLate: boolean;
  conflictCount: number;
  createdAt: number;
  updatedAt: number;
  deadlineAt: number;
}

/** The worker a delivery created at ingest is leased to at once. */
export interface IngestLease {
  owner: string;
  leaseMs: number;
}

export interface IngestResult {
  outcome: IngestOutcome;
  claim: ClaimedDelivery | null;
}

export interface ClaimedDelivery {
  id: string;
  /** Null for a routed delivery, which belongs to no trace. */
  tracePk: string | null;
  appId: string;
  traceId: string | null;
  /** The routing rule of a routed delivery. */
  routeName?: string | null;
  kind: DeliveryKind;
  destination: string;
  contentType: string;
  /** Null only if the push it forwards is no longer stored (it cannot be sent). */
  body: string | null;
  isLate: boolean;
  /** 1 for the first attempt. */
  attempt: number;
  leaseOwner: string;
  createdAt: number;
  /** The trace's deadline, epoch ms: the retry budget counts from it. */
  deadlineAt?: number;
}

export interface AttemptRecord {
  startedAt: number;
  durationMs: number;
  httpStatus: number | null;
  outcome: AttemptOutcome;
  errorMessage: string | null;
  responseExcerpt: string | null;
}

/** One finished attempt, as the worker hands it to the store. */
export interface AttemptCompletion {
  claim: ClaimedDelivery;
  record: AttemptRecord;
  verdict: AttemptVerdict;
}

export type AttemptVerdict =
  | { kind: 'delivered' }
  | { kind: 'retry'; nextAttemptAt: number }
  | { kind: 'failed'; traceError: TraceError };


export interface AttemptView extends AttemptRecord {
  deliveryId: string;
  kind: DeliveryKind;
  attempt: number;
}

export interface DeliveryView {
  id: string;
  kind: DeliveryKind;
  /** `replay` or `redrive` when an operator asked for it; null for the original. */
  source: string | null;
  requestedBy: string | null;
  /** The routing rule of a routed delivery, else null. */
  route?: string | null;
  status: DeliveryStatus;
  destination: string;
  isLate: boolean;
  attemptCount: number;
  nextAttemptAt: number | null;
  createdAt: number;
}

export interface CallbackView {
  id: string;
  event: string;
  state: CallbackState;
  contentType: string;
  body: string;
  receivedAt: number;
  duplicateCount: number;
}

export interface TraceDetail extends TraceRecord {
  callback: CallbackView | null;
  conflicts: CallbackView[];
  deliveries: DeliveryView[];
  attempts: AttemptView[];
}

/** Where a page of parked callbacks starts: received at or after `receivedAt`, past `id` at that time. */
export interface ParkedCursor {
  receivedAt: number;
  id: string;
}

export interface AdoptPage {
  adopted: number;
  /** Where the next page starts; null when this page was the last. */
  next: ParkedCursor | null;
}

export interface PendingCursor {
  deadlineAt: number;
  pk: string;
}

export interface PurgeCounts {
  traces: number;
  strayCallbacks: number;
  /** Routed events (no registered id) whose deliveries had all finished, with those deliveries. */
  routedEvents: number;
}

export interface Backlog {
  pendingTraces: number;
  parkedCallbacks: number;
  openDeliveries: number;
}

/** What the trace list is narrowed by; every field is optional and they combine with AND. */
export interface TraceFilter {
  status?: TraceStatus;
  appId?: string;
  /** A registered server_uri, exactly. */
  destination?: string;
  /** Registered at or after, epoch ms. */
  createdFrom?: number;
  /** Registered before, epoch ms. */
  createdTo?: number;
  /** Trace ids starting with this text. */
  traceIdPrefix?: string;
}

/** Where a page of traces ended: the list continues strictly after it in (created_at, pk) order, newest first. */
export interface TraceCursor {
  createdAt: number;
  pk: string;
}

export interface TracePage {
  traces: TraceRecord[];
  /** Null on the last page. */
  next: TraceCursor | null;
}

export interface DestinationHealth {
  destination: string;
  attempts: number;
  successes: number;
  lastAttemptAt: number;
  lastHttpStatus: number | null;
  lastOutcome: AttemptOutcome;
  /** Deliveries to it still waiting for a successful attempt (now, not only in the window). */
  openDeliveries: number;
}

export interface ActivityBucket {
  /** Start of the bucket, epoch ms. */
  start: number;
  pushes: number;
  delivered: number;
  failed: number;
  timedOut: number;
}

export interface CallbackFilter {
  appId?: string;
  state?: CallbackState;
  /** At most this many, newest first. */
  limit: number;
}

export interface CallbackSummary extends CallbackView {
  appId: string;
  correlationId: string | null;
}

export interface CallbackDetail extends CallbackSummary {
  deliveries: DeliveryView[];
  attempts: AttemptView[];
}
