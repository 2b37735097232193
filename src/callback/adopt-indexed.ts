import type { Logger } from 'pino';
import type { CallbackIntake, IncomingCallback } from '../storage/relay-store.ts';
import type { Clock } from '../time/clock.ts';

/** An outside index of registered traces (Redis) that may know a registration the database did not show. */
export interface RegisteredIndex {
  lookupRoute(appId: string, traceId: string): Promise<unknown>;
}

export interface AdoptIndexedDeps {
  store: CallbackIntake;
  clock: Clock;
  logger: Logger;
  onNewDelivery: () => void;
}

/**
 * A push parked although the hot index knows its trace: the registration committed on
 * another instance at the same moment. Adopts it now rather than on the next sweep;
 * a failure leaves it to the sweeper.
 */
export async function adoptIfIndexed(deps: AdoptIndexedDeps, index: RegisteredIndex, callback: IncomingCallback): Promise<void> {
  if (callback.correlationId === null || !(await index.lookupRoute(callback.appId, callback.correlationId))) return;
  try {
    if (await deps.store.adoptParkedFor(callback.appId, callback.correlationId, deps.clock.now())) deps.onNewDelivery();
  } catch (error) {
    deps.logger.warn({ err: error }, 'could not adopt a parked push at once; the sweeper will');
  }
}
