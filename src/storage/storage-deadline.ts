import type { Logger } from 'pino';
import { RelayError } from '../errors/relay-error.ts';
import { withTimeout } from '../time/with-timeout.ts';

/** WeChat stops waiting at 5 s; a request that storage cannot serve by then is answered 503 instead. */
export const STORAGE_DEADLINE_MS = 4000;

/**
 * Runs a storage call for a request: a database that is down, or too slow to
 * answer within `deadlineMs`, becomes 503 STORAGE_UNAVAILABLE (never a success,
 * never a 500 with internals). Errors the relay raised on purpose pass through.
 */
export async function withStorageDeadline<T>(work: Promise<T>, deadlineMs: number, logger: Logger, what: string): Promise<T> {
  try {
    return await withTimeout(work, deadlineMs);
  } catch (error) {
    if (error instanceof RelayError) throw error;
    logger.error({ err: error }, `${what}: storage unavailable; answering 503`);
    throw new RelayError('STORAGE_UNAVAILABLE', 'the database is unavailable; nothing was stored, retry later', { 'retry-after': '1' });
  }
}
