import { createHash, timingSafeEqual } from 'node:crypto';

/** WeChat's signature: SHA-1 hex of the parts sorted as strings and joined. */
export function sha1Sorted(parts: readonly string[]): string {
  return createHash('sha1').update([...parts].sort().join('')).digest('hex');
}

/** Compares two hex signatures in constant time (case-insensitive, as hex is). */
export function signaturesMatch(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(given.trim().toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `signature` = sha1(sort(token, timestamp, nonce)): present in every mode. */
export function isUrlSignatureValid(token: string, query: { signature?: string; timestamp?: string; nonce?: string }): boolean {
  if (query.timestamp === undefined || query.nonce === undefined) return false;
  return signaturesMatch(sha1Sorted([token, query.timestamp, query.nonce]), query.signature);
}

/** `msg_signature` = sha1(sort(token, timestamp, nonce, Encrypt)): authenticates the ciphertext. */
export function isMessageSignatureValid(token: string, query: { msg_signature?: string; timestamp?: string; nonce?: string }, encrypt: string): boolean {
  if (query.timestamp === undefined || query.nonce === undefined) return false;
  return signaturesMatch(sha1Sorted([token, query.timestamp, query.nonce, encrypt]), query.msg_signature);
}
