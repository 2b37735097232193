import { Gauge, type Registry } from 'prom-client';
import type { TunnelHub } from './tunnel-hub.ts';

/** `relay_tunnel_listeners`: listeners connected to this instance, read when scraped. */
export function registerTunnelMetrics(registry: Registry, hub: TunnelHub): void {
  new Gauge({
    name: 'relay_tunnel_listeners',
    help: 'callback-relay listen clients connected to this instance.',
    registers: [registry],
    collect() {
      this.set(hub.listenerCount());
    },
  });
}
