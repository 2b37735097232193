import type { ClaimedDelivery } from '../storage/relay-store.ts';
import { DeliveryKind } from '../model/delivery-status.ts';
import { isTunnelUri, parseTunnelUri } from '../destination/tunnel-uri.ts';
import { signStandardWebhook } from './standard-webhooks.ts';

export const RELAY_EVENT = {
  received: 'callback.received',
  timeout: 'callback.timeout',
} as const;

export interface ForwardRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

const USER_AGENT = 'callback-relay/0.1';

/**
 * The request a business server receives: the stored body byte for byte, and the
 * relay's own headers only. Nothing of the provider's inbound request is passed on.
 */
export function buildForwardRequest(claim: ClaimedDelivery, signingSecrets: readonly string[], nowMs: number): ForwardRequest {
  assertSendable(claim.destination);
  if (claim.body === null) throw new UnsendableDeliveryError('the push this delivery forwards is no longer stored');
  const body = Buffer.from(claim.body, 'utf8');
  const headers: Record<string, string> = {
    'content-type': claim.contentType,
    'user-agent': USER_AGENT,
    'x-relay-event': claim.kind === DeliveryKind.timeout ? RELAY_EVENT.timeout : RELAY_EVENT.received,
    'x-relay-attempt': String(claim.attempt),
    'x-relay-delivery-id': claim.id,
  };
  // A routed event has no trace; its rule's name tells the receiver why it came.
  if (claim.traceId !== null) headers['x-relay-trace-id'] = claim.traceId;
  if (claim.routeName) headers['x-relay-route'] = claim.routeName;
  if (claim.isLate) headers['x-relay-late'] = 'true';
  if (signingSecrets.length > 0) {
    // webhook-id is the delivery's id: stable across retries, so receivers can dedupe.
    const messageId = `msg_${claim.id}`;
    const timestampS = Math.floor(nowMs / 1000);
    headers['webhook-id'] = messageId;
    headers['webhook-timestamp'] = String(timestampS);
    headers['webhook-signature'] = signStandardWebhook(signingSecrets, messageId, timestampS, body);
  }
  return { url: claim.destination, headers, body };
}

/** Thrown when a stored delivery cannot be sent at all: retrying cannot help, so it ends in CALLBACK_ERROR. */
export class UnsendableDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsendableDeliveryError';
  }
}

function assertSendable(destination: string): void {
  // A dev tunnel destination goes to a connected listener, not over HTTP (see src/tunnel/).
  if (isTunnelUri(destination)) {
    if (parseTunnelUri(destination)) return;
    throw new UnsendableDeliveryError('the stored destination is not a valid tunnel://<name>[/path]');
  }
  let url: URL;
  try {
    url = new URL(destination);
  } catch {
    throw new UnsendableDeliveryError('the stored destination is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UnsendableDeliveryError(`the stored destination uses ${url.protocol}, not http(s)`);
}
