import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { ListenerConnection } from './listener-connection.ts';

export interface TunnelHubOptions {
  excerptBytes: number;
  pingIntervalMs: number;
  /** See ListenerConnectionOptions.maxQueueWaitMs. */
  maxQueueWaitMs: number;
  /** Called when a listener connects: deliveries that waited for it can go now. */
  onListenerReady: (name: string) => void;
}

/** The listeners connected to this instance, by tunnel name. */
export class TunnelHub {
  readonly #byName = new Map<string, Set<ListenerConnection>>();
  readonly #options: TunnelHubOptions;
  readonly #logger: Logger;

  constructor(options: TunnelHubOptions, logger: Logger) {
    this.#options = options;
    this.#logger = logger;
  }

  /** Takes over an authenticated socket as a listener of `name`. */
  attach(name: string, socket: WebSocket, remote: string): ListenerConnection {
    const connection = new ListenerConnection(socket, { name, excerptBytes: this.#options.excerptBytes, pingIntervalMs: this.#options.pingIntervalMs, maxQueueWaitMs: this.#options.maxQueueWaitMs }, this.#logger);
    const set = this.#byName.get(name) ?? new Set<ListenerConnection>();
    set.add(connection);
    this.#byName.set(name, set);
    this.#logger.info({ tunnel: name, listener: connection.id, remote, listeners: set.size }, 'tunnel listener connected');
    connection.onClose(() => {
      set.delete(connection);
      if (set.size === 0 && this.#byName.get(name) === set) this.#byName.delete(name);
      this.#logger.info({ tunnel: name, listener: connection.id, listeners: set.size }, 'tunnel listener disconnected');
    });
    this.#options.onListenerReady(name);
    return connection;
  }

  /** Names with at least one open listener here. */
  names(): string[] {
    return [...this.#byName].filter(([, set]) => [...set].some((connection) => connection.isOpen)).map(([name]) => name);
  }

  listenerCount(): number {
    let count = 0;
    for (const set of this.#byName.values()) count += set.size;
    return count;
  }

  /** The least busy listener of `name` (the longest idle among equals), so listeners share the work. */
  pick(name: string): ListenerConnection | undefined {
    let best: ListenerConnection | undefined;
    for (const connection of this.#byName.get(name) ?? []) {
      if (!connection.isOpen) continue;
      const isBetter = best === undefined || connection.load < best.load
        || (connection.load === best.load && connection.lastAssignedAt < best.lastAssignedAt);
      if (isBetter) best = connection;
    }
    return best;
  }

  closeAll(): void {
    for (const set of this.#byName.values()) for (const connection of [...set]) connection.close();
  }
}
