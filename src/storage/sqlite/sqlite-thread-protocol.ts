import type { RelayStore } from '../relay-store.ts';

/** Options the SQLite thread opens its database with. */
export interface SqliteThreadData {
  filename: string;
  synchronous: 'full' | 'normal';
}

/** One store call, sent to the SQLite thread. */
export interface StoreCall {
  id: number;
  method: StoreCallName | 'close';
  args: unknown[];
}

/** The answer to one store call. */
export type StoreAnswer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  code?: unknown;
  stack?: string;
}

/**
 * Every RelayStore method but `close`, as the thread serves them: the proxy on
 * the calling side and the thread's dispatch are both made from this list, and
 * the type below fails to compile when the store gains a method the list lacks.
 */
export const STORE_CALLS = [
  'migrate', 'ping', 'register', 'ingestCallback', 'ingestAndLease', 'claimDueDeliveries', 'releaseClaim',
  'completeAttempt', 'completeAttempts', 'expireOverdue', 'adoptParkedCallbacks', 'adoptParkedFor', 'expireParked', 'nextDueAt',
  'purgeRetired', 'listPendingTraces', 'getTrace', 'listCallbacks', 'getCallback', 'countBacklog', 'listTraces',
  'summarizeDestinations', 'countActivity', 'replayTrace', 'countRedrivable', 'redriveFailedPage', 'recordAudit',
  'listAudit', 'readAccessToken', 'claimTokenRenewal', 'saveAccessToken', 'recordTokenFailure',
] as const satisfies ReadonlyArray<keyof RelayStore>;
export type StoreCallName = (typeof STORE_CALLS)[number];

type Unlisted = Exclude<keyof RelayStore, StoreCallName | 'dialect' | 'close'>;
/** Compiles only while every store method is listed in STORE_CALLS (else it names the missing ones). */
const everyMethodListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyMethodListed;

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  return { name: error.name, message: error.message, code: (error as { code?: unknown }).code, stack: error.stack };
}

/** Rebuilds a thread's error on the calling side, keeping its name, code and the thread's stack. */
export function deserializeError(serialized: SerializedError): Error {
  const error = new Error(serialized.message) as Error & { code?: unknown };
  error.name = serialized.name;
  if (serialized.code !== undefined) error.code = serialized.code;
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}
