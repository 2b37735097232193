import { RelayError } from '../../errors/relay-error.ts';
import type { TraceCursor } from '../../storage/relay-store.ts';

/** Opaque to clients, so the paging key can change without breaking them. */
export function encodeTraceCursor(cursor: TraceCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.pk])).toString('base64url');
}

export function decodeTraceCursor(text: string): TraceCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string' && value[1].length <= 64) {
      return { createdAt: value[0] as number, pk: value[1] };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new RelayError('INVALID_FIELD', 'cursor is not a next_cursor this relay gave out');
}
