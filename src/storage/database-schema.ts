import type { ColumnType } from 'kysely';

/**
 * Row shapes of the relay's tables, as Kysely sees them. Times are integer
 * milliseconds since the epoch (passed in from the Clock, never the database's
 * NOW(), so every dialect and instance agrees); flags are 0/1 integers.
 */
export interface TracesTable {
  id: string;
  app_id: string;
  trace_id: string;
  server_uri: string;
  status: string;
  error: string | null;
  callback_id: string | null;
  is_late: number;
  conflict_count: number;
  created_at: number;
  updated_at: number;
  deadline_at: number;
}

export interface CallbacksTable {
  id: string;
  app_id: string;
  /** The id the push is keyed by (trace_id for media checks); null when it has none. */
  correlation_id: string | null;
  /** Unique per app: a repeat of the same push collides here and is never forwarded twice. */
  dedupe_key: string;
  event: string;
  content_type: string;
  body: string;
  /** Hash of the push without volatile fields: tells a repeat from a conflicting verdict. */
  fingerprint: string;
  state: string;
  duplicate_count: number;
  received_at: number;
  parked_until: number | null;
}

export interface DeliveriesTable {
  id: string;
  /** Null for an event routed by rule, which belongs to no trace (see app_id, route_name). */
  trace_pk: string | null;
  kind: string;
  destination: string;
  callback_id: string | null;
  content_type: string;
  /**
   * What is sent. Null when it is the body of `callback_id`'s push, which is stored
   * once, there (a forwarded verdict, a routed event, their replays); a timeout
   * notice, which has no push, carries its own.
   */
  body: string | null;
  is_late: number;
  status: string;
  attempt_count: number;
  /** When the next attempt is due; while leased, when the lease runs out. */
  next_attempt_at: number;
  lease_owner: string | null;
  created_at: number;
  updated_at: number;
  /** Why the delivery exists beyond the normal flow: `replay` or `redrive`; null for the original. */
  source: ColumnType<string | null, string | null | undefined, string | null>;
  /** Who asked for a replay or redrive (`key:<id>` or `loopback`). */
  requested_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set on routed deliveries (a trace's deliveries take the app from the trace). */
  app_id: string | null;
  /** The routing rule that created a routed delivery. */
  route_name: string | null;
}

export interface AttemptsTable {
  id: string;
  delivery_id: string;
  trace_pk: string | null;
  attempt_no: number;
  started_at: number;
  duration_ms: number;
  http_status: number | null;
  outcome: string;
  error_message: string | null;
  response_excerpt: string | null;
}

/** Administrative acts (replay, redrive): who, when, what. */
export interface AuditLogTable {
  id: string;
  at: number;
  actor: string;
  action: string;
  app_id: string | null;
  trace_id: string | null;
  delivery_id: string | null;
  /** Small JSON: the filter of a redrive and its counts. */
  detail: string | null;
}

/** Each app's access_token, shared by every instance (see storage/access-token-store.ts). */
export interface AccessTokensTable {
  app_id: string;
  access_token: string | null;
  expires_at: number | null;
  fetched_at: number | null;
  renew_owner: string | null;
  renew_until: number | null;
  last_error: string | null;
  last_error_at: number | null;
  forced_at: number | null;
  forced_day: number | null;
  forced_count: number;
}

export interface RelayDatabase {
  relay_traces: TracesTable;
  relay_callbacks: CallbacksTable;
  relay_deliveries: DeliveriesTable;
  relay_attempts: AttemptsTable;
  relay_audit_log: AuditLogTable;
  relay_access_tokens: AccessTokensTable;
}
