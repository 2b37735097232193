import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gauges read from the database at each scrape. */
export interface BacklogGauges {
  pendingTraces: number;
  parkedCallbacks: number;
  openDeliveries: number;
}

/**
 * The relay's Prometheus metrics, on a registry of their own (not prom-client's
 * global one) so several relays can live in one process, as in tests.
 */
export class RelayMetrics {
  readonly registry = new Registry();
  readonly pushes = new Counter({ name: 'relay_pushes_received_total', help: 'Provider pushes by outcome (forwarded, late, parked, duplicate, conflict, routed, unrouted, rejected).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly pushesRefused = new Counter({ name: 'relay_pushes_refused_total', help: 'Pushes refused with a 4xx, by error code (e.g. SIGNATURE_INVALID, PUSH_TIMESTAMP_STALE, TOKEN_NOT_CONFIGURED).', labelNames: ['code'] as const, registers: [this.registry] });
  readonly registrations = new Counter({ name: 'relay_registrations_total', help: 'Registrations by outcome (created, existing, conflict, rejected).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly deliveries = new Counter({ name: 'relay_deliveries_total', help: 'Finished deliveries by kind (callback, timeout, routed) and outcome (delivered, failed).', labelNames: ['kind', 'outcome'] as const, registers: [this.registry] });
  readonly attempts = new Counter({ name: 'relay_delivery_attempts_total', help: 'Forwarding attempts by outcome.', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly attemptDuration = new Histogram({ name: 'relay_delivery_attempt_duration_seconds', help: 'Duration of forwarding attempts.', labelNames: ['outcome'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });
  readonly unmatched = new Counter({ name: 'relay_pushes_unmatched_total', help: 'Pushes without a registered id that matched no routing rule: stored and acknowledged, forwarded nowhere.', labelNames: ['app_id'] as const, registers: [this.registry] });
  readonly timedOut = new Counter({ name: 'relay_traces_timed_out_total', help: 'Traces whose deadline passed without a callback.', registers: [this.registry] });
  readonly sweepDuration = new Histogram({ name: 'relay_deadline_sweep_duration_seconds', help: 'Duration of one deadline sweep pass.', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry] });
  readonly replays = new Counter({ name: 'relay_replays_total', help: 'Deliveries queued by an operator, by action (replay, redrive).', labelNames: ['action'] as const, registers: [this.registry] });
  readonly postponed = new Counter({ name: 'relay_deliveries_postponed_total', help: 'Claimed deliveries handed back unsent without spending an attempt, by reason (origin_busy, circuit_half_open).', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly circuitState = new Gauge({ name: 'relay_destination_circuit_state', help: 'Circuit of each destination origin seen by this instance: 0 closed, 1 half-open, 2 open.', labelNames: ['origin'] as const, registers: [this.registry] });
  readonly destinationInFlight = new Gauge({ name: 'relay_destination_in_flight', help: 'Sends in flight per destination origin on this instance.', labelNames: ['origin'] as const, registers: [this.registry] });
  readonly purged = new Counter({ name: 'relay_retention_purged_total', help: 'Rows removed by the retention purge, by kind (trace, stray_callback, routed_event).', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly tokenRenewals = new Counter({ name: 'relay_wechat_token_renewals_total', help: 'access_token renewals by app and outcome (renewed, forced, failed).', labelNames: ['app_id', 'outcome'] as const, registers: [this.registry] });
  readonly tokenAge = new Gauge({ name: 'relay_wechat_token_age_seconds', help: 'Age of the access_token this instance holds, by app.', labelNames: ['app_id'] as const, registers: [this.registry] });
  readonly apiCalls = new Counter({ name: 'relay_wechat_api_calls_total', help: 'Calls proxied to WeChat\'s server API, by path and WeChat\'s errcode (0 for success, none for a non-JSON answer, unreachable or timeout).', labelNames: ['path', 'errcode'] as const, registers: [this.registry] });
  readonly #pending = new Gauge({ name: 'relay_traces_pending', help: 'Registered traces waiting for their callback.', registers: [this.registry] });
  readonly #parked = new Gauge({ name: 'relay_callbacks_parked', help: 'Callbacks waiting for their registration.', registers: [this.registry] });
  readonly #open = new Gauge({ name: 'relay_deliveries_open', help: 'Deliveries not yet delivered or failed.', registers: [this.registry] });

  readonly #beforeRender: Array<() => void> = [];

  /** Runs `refresh` before each render, for gauges read from in-memory state. */
  onRender(refresh: () => void): void {
    this.#beforeRender.push(refresh);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Renders the text format, refreshing the gauges read from the database first. */
  async render(readBacklog: () => Promise<BacklogGauges>): Promise<string> {
    try {
      const backlog = await readBacklog();
      this.#pending.set(backlog.pendingTraces);
      this.#parked.set(backlog.parkedCallbacks);
      this.#open.set(backlog.openDeliveries);
    } catch {
      // The counters are still worth serving while the database is away; /readyz reports it.
    }
    for (const refresh of this.#beforeRender) refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
