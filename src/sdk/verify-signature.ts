import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a forwarded request was refused; `reason` is stable for logs and metrics. */
export class WebhookVerificationError extends Error {
  readonly reason: 'missing_headers' | 'bad_timestamp' | 'timestamp_out_of_tolerance' | 'no_matching_signature' | 'bad_secret';

  constructor(reason: WebhookVerificationError['reason'], message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

export interface VerifyOptions {
  /** The relay's RELAY_SIGNING_SECRET (`whsec_…`); several during a rotation. */
  secrets: string | readonly string[];
  /** How far webhook-timestamp may be from now, seconds, either way. Default 300 (the reference libraries' value). */
  toleranceS?: number;
  /** Now, epoch ms; for tests. */
  now?: number;
}

type Headers = Record<string, string | string[] | undefined> | { get(name: string): string | null };

function header(headers: Headers, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

function keyOf(secret: string): Buffer {
  const base64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(base64, 'base64');
  if (key.length === 0) throw new WebhookVerificationError('bad_secret', 'the signing secret is empty or not base64');
  return key;
}

/**
 * Checks a forwarded request's Standard Webhooks signature over the exact bytes
 * received: `v1,` HMAC-SHA256 of `webhook-id.webhook-timestamp.body`. Returns the
 * message id (stable across retries of one delivery: the idempotency key).
 */
export function verifyWebhookSignature(headers: Headers, rawBody: Buffer | string, options: VerifyOptions): { messageId: string; timestampS: number } {
  const messageId = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!messageId || !timestamp || !signatures) throw new WebhookVerificationError('missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required');
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('bad_timestamp', 'webhook-timestamp is not whole seconds');
  const timestampS = Number(timestamp);
  const nowS = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowS - timestampS) > (options.toleranceS ?? 300)) {
    throw new WebhookVerificationError('timestamp_out_of_tolerance', 'webhook-timestamp is too far from now (replayed or clock skew)');
  }
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const secrets = typeof options.secrets === 'string' ? [options.secrets] : options.secrets;
  const given = signatures.split(' ').filter((item) => item.startsWith('v1,')).map((item) => Buffer.from(item.slice(3), 'base64'));
  for (const secret of secrets) {
    const expected = createHmac('sha256', keyOf(secret)).update(`${messageId}.${timestampS}.`).update(body).digest();
    if (given.some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected))) return { messageId, timestampS };
  }
  throw new WebhookVerificationError('no_matching_signature', 'no webhook-signature matches the secret');
}
