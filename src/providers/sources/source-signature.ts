import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Source } from '../../config/config-schema.ts';
import { RelayError } from '../../errors/relay-error.ts';

export type Headers = Record<string, string | string[] | undefined>;

/** Standard Webhooks' tolerance either way, seconds. */
const TIMESTAMP_TOLERANCE_S = 300;

function headerOf(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Equal in constant time; texts of other lengths are compared as digests so their length says nothing. */
function sameText(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b) && expected.length === given.length;
}

const refused = (message: string) => new RelayError('SIGNATURE_INVALID', message);

function required(headers: Headers, name: string): string {
  const value = headerOf(headers, name);
  if (!value) throw refused(`the ${name} header is missing`);
  return value.trim();
}

function verifyHmac(source: Source, headers: Headers, raw: Buffer): void {
  const given = required(headers, source.header!);
  const prefix = source.prefix ?? '';
  const digest = createHmac(source.algorithm!, source.secret!).update(raw).digest(source.encoding!);
  if (!sameText(`${prefix}${digest}`, given)) throw refused(`the ${source.header} signature does not match the body`);
}

function verifyStandardWebhooks(source: Source, headers: Headers, raw: Buffer, nowMs: number): void {
  const id = required(headers, 'webhook-id');
  const timestamp = required(headers, 'webhook-timestamp');
  const signatures = required(headers, 'webhook-signature');
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(nowMs / 1000 - seconds) > TIMESTAMP_TOLERANCE_S) throw refused('webhook-timestamp is not within 5 minutes of the relay\'s clock');
  const key = Buffer.from(source.secret!.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(raw).digest('base64');
  // Check every listed signature so the time taken does not tell which one was close.
  let isValid = false;
  for (const part of signatures.split(' ')) {
    const [version, value] = part.split(',', 2);
    if (version === 'v1' && value !== undefined && sameText(expected, value)) isValid = true;
  }
  if (!isValid) throw refused('no webhook-signature matches the body');
}

/** Hex SHA-256 (Tencent Cloud) or SHA-1 (Douyin) of a secret followed by the raw body. */
function verifyKeyedDigest(algorithm: 'sha256' | 'sha1', secret: string, header: string, headers: Headers, raw: Buffer): void {
  const given = required(headers, header).toLowerCase();
  const expected = createHash(algorithm).update(secret).update(raw).digest('hex');
  if (!sameText(expected, given)) throw refused(`the ${header} signature does not match the body`);
}

/** Throws SIGNATURE_INVALID (401) unless the push is the source's, over the exact bytes received. */
export function verifySourcePush(source: Source, headers: Headers, raw: Buffer, nowMs: number): void {
  switch (source.kind) {
    case 'hmac': return verifyHmac(source, headers, raw);
    case 'standard-webhooks': return verifyStandardWebhooks(source, headers, raw, nowMs);
    case 'tencent-cloud': return verifyKeyedDigest('sha256', source.seed!, 'x-signature', headers, raw);
    case 'douyin': return verifyKeyedDigest('sha1', source.secret!, 'x-douyin-signature', headers, raw);
  }
}

/** The kind's own id of one message, for recognising a repeat; undefined where the kind has none. */
export function messageIdOf(source: Source, headers: Headers): string | undefined {
  return source.kind === 'standard-webhooks' ? headerOf(headers, 'webhook-id') : undefined;
}
