import { createHmac } from 'node:crypto';

/**
 * Signs a message the Standard Webhooks way: `v1,<base64 HMAC-SHA256>` over
 * `<id>.<timestamp>.<body>`, keyed by the base64 part of each `whsec_` secret.
 * Several secrets (rotation) give several space-separated signatures.
 */
export function signStandardWebhook(secrets: readonly string[], messageId: string, timestampS: number, body: Buffer): string {
  const prefix = Buffer.from(`${messageId}.${timestampS}.`, 'utf8');
  return secrets.map((secret) => {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const digest = createHmac('sha256', key).update(prefix).update(body).digest('base64');
    return `v1,${digest}`;
  }).join(' ');
}
