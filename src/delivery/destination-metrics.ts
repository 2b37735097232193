import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import type { CircuitStateName, DestinationHealth } from './destination-health.ts';

const CIRCUIT_GAUGE: Record<CircuitStateName, number> = { closed: 0, half_open: 1, open: 2 };

/** Copies each origin's circuit and sends in flight into the metrics at every scrape. */
export function watchDestinations(health: DestinationHealth, metrics: RelayMetrics): void {
  metrics.onRender(() => {
    for (const item of health.states()) {
      metrics.circuitState.set({ origin: item.origin }, CIRCUIT_GAUGE[item.state]);
      metrics.destinationInFlight.set({ origin: item.origin }, item.inFlight);
    }
  });
}
