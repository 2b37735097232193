import type { Logger } from 'pino';
import { RelayError } from '../errors/relay-error.ts';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import type { ReadModels, RegisterOutcome, Registrations, TraceRecord } from '../storage/relay-store.ts';
import { STORAGE_DEADLINE_MS, withStorageDeadline } from '../storage/storage-deadline.ts';
import type { Clock } from '../time/clock.ts';
import type { RegistrationInput } from './registration-input.ts';

export interface RegisterDeps {
  store: Registrations & Pick<ReadModels, 'getTrace'>;
  clock: Clock;
  metrics: RelayMetrics;
  logger: Logger;
  /** Called when a parked callback was adopted and its delivery is due now. */
  onNewDelivery: () => void;
  defaultTimeoutS: number;
  defaultAppId: string;
  knownAppIds: ReadonlySet<string>;
  /** Longest the registration waits for the database before answering 503, ms. Default 4000. */
  storageDeadlineMs?: number;
  /** Called after a new registration is durable (to index it outside the database). */
  onRegistered?: (trace: TraceRecord, now: number) => void;
}

/** Registers (trace_id → server_uri). Same id and URI again is a no-op; another URI is a conflict. */
export async function registerTrace(deps: RegisterDeps, input: RegistrationInput): Promise<RegisterOutcome> {
  const appId = input.appId ?? deps.defaultAppId;
  if (deps.knownAppIds.size > 0 && !deps.knownAppIds.has(appId)) {
    throw new RelayError('APP_NOT_CONFIGURED', `app_id ${appId} is not a configured app`);
  }
  const now = deps.clock.now();
  const deadlineAt = now + (input.timeoutS ?? deps.defaultTimeoutS) * 1000;
  // A registration answered 503 may still commit late; the client's retry then gets a no-op 200.
  const outcome = await withStorageDeadline(
    deps.store.register({ appId, traceId: input.traceId, serverUri: input.serverUri, deadlineAt }, now),
    deps.storageDeadlineMs ?? STORAGE_DEADLINE_MS, deps.logger.child({ trace_id: input.traceId, app_id: appId }), 'registration',
  );
  deps.metrics.registrations.inc({ outcome: outcome.kind });
  const log = deps.logger.child({ trace_id: input.traceId, app_id: appId });
  if (outcome.kind === 'conflict') {
    log.warn('registration refused: trace_id already registered to another server_uri');
    throw new RelayError('TRACE_CONFLICT', `trace_id ${input.traceId} is already registered to another server_uri`);
  }
  if (outcome.kind === 'created') {
    log.info({ adopted_parked_callback: outcome.adoptedCallback }, 'trace registered');
    if (outcome.adoptedCallback) deps.onNewDelivery();
    deps.onRegistered?.(outcome.trace, now);
  }
  return outcome;
}
