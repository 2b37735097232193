import type { Logger } from 'pino';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import { IngestOutcome, type IncomingCallback, type CallbackIntake } from '../storage/relay-store.ts';
import type { Clock } from '../time/clock.ts';
import type { Handoff } from '../delivery/delivery-worker.ts';

export interface IngestDeps {
  store: CallbackIntake;
  clock: Clock;
  metrics: RelayMetrics;
  logger: Logger;
  parkedGraceS: number;
  /** Called when the push created a delivery, so it leaves at once rather than on the next poll. */
  onNewDelivery: () => void;
  /** A slot of the local worker to lease the new delivery to; undefined sends it through the database's claim. */
  reserveHandoff?: () => Handoff | undefined;
  /** Called when the push was parked for want of a registration (another instance may be registering it right now). */
  onParked?: (callback: IncomingCallback) => void;
}

/**
 * Stores a provider's push durably; the caller acknowledges the provider only
 * after this resolves. Forwarding happens later, outside the provider's request.
 */
export async function ingestPush(deps: IngestDeps, callback: IncomingCallback): Promise<IngestOutcome> {
  const now = deps.clock.now();
  const handoff = deps.reserveHandoff?.();
  let outcome: IngestOutcome;
  let isHandedOff = false;
  try {
    if (handoff) {
      const result = await deps.store.ingestAndLease(callback, now, now + deps.parkedGraceS * 1000, handoff.lease);
      ({ outcome } = result);
      isHandedOff = result.claim !== null;
      handoff.settle(result.claim);
    } else {
      outcome = await deps.store.ingestCallback(callback, now, now + deps.parkedGraceS * 1000);
    }
  } finally {
    handoff?.settle(null);
  }
  deps.metrics.pushes.inc({ outcome });
  deps.logger.info({ trace_id: callback.correlationId, app_id: callback.appId, event: callback.event, outcome }, 'push stored');
  if (outcome === IngestOutcome.unrouted) deps.metrics.unmatched.inc({ app_id: callback.appId });
  const hasNewDelivery = outcome === IngestOutcome.forwarded || outcome === IngestOutcome.late || outcome === IngestOutcome.routed;
  if (hasNewDelivery && !isHandedOff) deps.onNewDelivery();
  if (outcome === IngestOutcome.parked) deps.onParked?.(callback);
  return outcome;
}
