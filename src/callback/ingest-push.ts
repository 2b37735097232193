import type { Logger } from 'pino';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import { IngestOutcome, type IncomingCallback, type RelayStore } from '../storage/relay-store.ts';
import type { Clock } from '../time/clock.ts';

export interface IngestDeps {
  store: RelayStore;
  clock: Clock;
  metrics: RelayMetrics;
  logger: Logger;
  parkedGraceS: number;
  /** Called when the push created a delivery, so it leaves at once rather than on the next poll. */
  onNewDelivery: () => void;
}

/**
 * Stores a provider's push durably; the caller acknowledges the provider only
 * after this resolves. Forwarding happens later, outside the provider's request.
 */
export async function ingestPush(deps: IngestDeps, callback: IncomingCallback): Promise<IngestOutcome> {
  const now = deps.clock.now();
  const outcome = await deps.store.ingestCallback(callback, now, now + deps.parkedGraceS * 1000);
  deps.metrics.pushes.inc({ outcome });
  deps.logger.info({ trace_id: callback.correlationId, app_id: callback.appId, event: callback.event, outcome }, 'push stored');
  if (outcome === IngestOutcome.unrouted) deps.metrics.unmatched.inc({ app_id: callback.appId });
  if (outcome === IngestOutcome.forwarded || outcome === IngestOutcome.late || outcome === IngestOutcome.routed) deps.onNewDelivery();
  return outcome;
}
