/**
 * A typed client for a business server talking to callback-relay: register a
 * trace right after WeChat returns its trace_id, and read its state. Uses the
 * platform's fetch; no dependencies.
 */

export type TraceStatus = 'pending' | 'delivering' | 'delivered' | 'failed' | 'timed_out';
export type TraceError = 'WX_TIMEOUT_ERROR' | 'CALLBACK_ERROR' | 'BIZ_SERVER_ERROR';

export interface RegisterInput {
  traceId: string;
  /** Where the relay forwards the verdict: an absolute http(s) URL. */
  serverUri: string;
  /** Which configured mini program; the relay's default when absent. */
  appId?: string;
  /** Seconds until the relay sends a timeout notice; the relay's default (1800) when absent. */
  timeoutS?: number;
}

export interface Registration {
  trace_id: string;
  app_id: string;
  server_uri: string;
  status: TraceStatus;
  /** False when the same (trace_id, server_uri) was already registered. */
  created: boolean;
  created_at: string;
  deadline_at: string;
}

export interface TraceAttempt {
  delivery_id: string;
  kind: 'callback' | 'timeout';
  attempt: number;
  at: string;
  http_status: number | null;
  duration_ms: number;
  outcome: string;
  error: string | null;
  response_excerpt: string | null;
}

export interface TraceState {
  trace_id: string;
  app_id: string;
  server_uri: string;
  status: TraceStatus;
  error: TraceError | null;
  late: boolean;
  created_at: string;
  updated_at: string;
  deadline_at: string;
  callback: { event: string; received_at: string; content_type: string; duplicates: number; body: string } | null;
  conflicts: Array<{ received_at: string; body: string }>;
  deliveries: Array<{ id: string; kind: 'callback' | 'timeout'; status: string; late: boolean; attempt_count: number; next_attempt_at: string | null; created_at: string }>;
  attempts: TraceAttempt[];
}

/** What `replay` queued: a new delivery of the stored verdict, or of the timeout notice when none came. */
export interface ReplayResult {
  delivery_id: string;
  kind: 'callback' | 'timeout';
  trace_id: string;
  app_id: string;
}

export interface RedriveInput {
  /** Only `failed` traces are redriven. */
  status: 'failed';
  appId?: string;
  /** Only traces whose server_uri starts with this. */
  destinationPrefix?: string;
  /** Registration time, inclusive: ISO 8601 or epoch ms. */
  since?: string | number;
  /** Registration time, exclusive: ISO 8601 or epoch ms. */
  until?: string | number;
  /** Only count; queue nothing. */
  dryRun?: boolean;
}

export interface RedriveResult {
  matched: number;
  redriven: number;
  dry_run: boolean;
}

/** An answer of the relay that is not a success: `code` is one of the relay's stable error codes. */
export class RelayApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'RelayApiError';
    this.status = status;
    this.code = code;
  }
}

/** The relay could not be reached at all (refused, DNS, timeout). */
export class RelayUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`cannot reach the relay at ${url}: ${describeCause(cause)}`, { cause });
    this.name = 'RelayUnreachableError';
  }
}

function describeCause(cause: unknown): string {
  const inner = (cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return inner?.code ?? inner?.message ?? (cause instanceof Error ? cause.message : String(cause));
}

export interface AccessTokenAnswer {
  app_id: string;
  access_token: string;
  /** ISO time. */
  expires_at: string;
}

export interface RelayClientOptions {
  /** The relay's base URL, e.g. `https://relay.example.com`. */
  baseUrl: string;
  /** A key from the relay's RELAY_API_KEYS; not needed on loopback without keys. */
  apiKey?: string;
  /** Per-request timeout, ms. Default 10 000. */
  timeoutMs?: number;
}

export class RelayClient {
  readonly #baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: RelayClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Registers (trace_id → server_uri); resolves once the registration is durable. */
  register(input: RegisterInput): Promise<Registration> {
    const body: Record<string, unknown> = { trace_id: input.traceId, server_uri: input.serverUri };
    if (input.appId !== undefined) body.app_id = input.appId;
    if (input.timeoutS !== undefined) body.timeout_s = input.timeoutS;
    return this.#call<Registration>('POST', '/api/moderate/trace', body);
  }

  /** The trace's state, deliveries and attempts. Rejects with code NOT_FOUND for an unknown trace. */
  status(traceId: string, appId?: string): Promise<TraceState> {
    const query = appId ? `?app_id=${encodeURIComponent(appId)}` : '';
    return this.#call<TraceState>('GET', `/api/moderate/trace/${encodeURIComponent(traceId)}${query}`);
  }

  /**
   * Re-sends a trace's verdict (or its timeout notice) as a new delivery. Rejects with
   * NOT_FOUND, NOTHING_TO_REPLAY (still pending) or DELIVERY_IN_PROGRESS.
   */
  replay(traceId: string, appId?: string): Promise<ReplayResult> {
    const query = appId ? `?app_id=${encodeURIComponent(appId)}` : '';
    return this.#call<ReplayResult>('POST', `/api/moderate/trace/${encodeURIComponent(traceId)}/replay${query}`);
  }

  /** Queues a new delivery for every matching failed trace, or with `dryRun` only counts them. */
  redrive(input: RedriveInput): Promise<RedriveResult> {
    const body: Record<string, unknown> = { status: input.status };
    if (input.appId !== undefined) body.app_id = input.appId;
    if (input.destinationPrefix !== undefined) body.destination_prefix = input.destinationPrefix;
    if (input.since !== undefined) body.since = input.since;
    if (input.until !== undefined) body.until = input.until;
    if (input.dryRun !== undefined) body.dry_run = input.dryRun;
    return this.#call<RedriveResult>('POST', '/api/admin/redrive', body);
  }

  /** The app's current access_token, held by the relay for the team (needs the app's AppSecret on the relay). */
  accessToken(appId?: string): Promise<AccessTokenAnswer> {
    const query = appId ? `?app_id=${encodeURIComponent(appId)}` : '';
    return this.#call<AccessTokenAnswer>('GET', `/api/access-token${query}`);
  }

  async #call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.#baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      throw new RelayUnreachableError(this.#baseUrl, error);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new RelayApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? (text.slice(0, 200) || response.statusText));
    }
    return parsed as T;
  }
}
