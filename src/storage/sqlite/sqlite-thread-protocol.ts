import type { TimeoutNoticeBuilder } from '../relay-store.ts';
import { buildTimeoutNotice } from '../../deadline/timeout-notice.ts';

/** Options the SQLite thread opens its database with. */
export interface SqliteThreadData {
  filename: string;
  synchronous: 'full' | 'normal';
}

/** One store call, sent to the SQLite thread. */
export interface StoreCall {
  id: number;
  method: string;
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
 * Functions cannot cross a thread boundary; the builders the relay uses are sent
 * by name and looked up again on the other side.
 */
const NOTICE_BUILDERS: Readonly<Record<string, TimeoutNoticeBuilder>> = { timeout: buildTimeoutNotice };

export function noticeBuilderName(builder: TimeoutNoticeBuilder): string {
  const name = Object.entries(NOTICE_BUILDERS).find(([, known]) => known === builder)?.[0];
  if (!name) throw new TypeError('the SQLite store thread only knows the relay\'s own timeout notice builder');
  return name;
}

export function noticeBuilderNamed(name: string): TimeoutNoticeBuilder {
  const builder = NOTICE_BUILDERS[name];
  if (!builder) throw new TypeError(`unknown timeout notice builder ${name}`);
  return builder;
}

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
