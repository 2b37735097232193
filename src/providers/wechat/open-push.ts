import { RelayError } from '../../errors/relay-error.ts';
import { CiphertextError, decryptMessage, type OpenedMessage } from './message-cipher.ts';
import { readPushBody, type PushMessage } from './push-message.ts';
import { isMessageSignatureValid, isUrlSignatureValid } from './signature.ts';
import type { EndpointApp } from './wechat-apps.ts';

export type PushQuery = Record<string, string | undefined>;

/** A push opened: the message as WeChat would have sent it in plain mode, and how it came. */
export interface OpenedPush {
  message: PushMessage;
  wasEncrypted: boolean;
}

const ENCRYPTED_MODES = new Set(['compatible', 'safe']);

/** How strictly a push is authenticated, decided by the caller from the relay's config and the sender. */
export interface PushAuthPolicy {
  /** RELAY_ACCEPT_UNSIGNED_PUSHES and a loopback sender: an app without a token takes unsigned pushes. */
  acceptsUnsigned: boolean;
  /** The relay's clock, epoch ms. */
  now: number;
  /** A plain-mode push's timestamp may be this far from `now`, seconds. */
  timestampWindowS: number;
}

/**
 * Authenticates a push and returns its plain-mode message. Encrypted pushes
 * (safe mode, and compatible mode, whose plaintext fields are ignored because
 * msg_signature covers only the ciphertext) are checked with msg_signature,
 * decrypted, and must carry this app's appid.
 */
export function openPush(app: EndpointApp, query: PushQuery, raw: Buffer, policy: PushAuthPolicy): OpenedPush {
  if (!app.token && !policy.acceptsUnsigned) {
    throw new RelayError('TOKEN_NOT_CONFIGURED', `app ${app.appId} has no token: its pushes cannot be verified, so none is accepted. Set WECHAT_TOKEN (or the app's token in RELAY_CONFIG) to the console's Token`);
  }
  // `signature` is present in every mode; in encrypted modes it is checked too, never instead.
  if (app.token && !isUrlSignatureValid(app.token, query)) throw new RelayError('SIGNATURE_INVALID', 'signature does not match the configured token');
  if (raw.length === 0) throw new RelayError('INVALID_PUSH', 'the push has no body');
  const envelope = readPushBody(raw);
  const encrypt = ciphertextOf(envelope);
  if (query.encrypt_type !== 'aes' && encrypt === undefined) {
    if (app.mode && ENCRYPTED_MODES.has(app.mode)) {
      throw new RelayError('ENCRYPTION_REQUIRED', `app ${app.appId} is configured for ${app.mode} mode: an unencrypted push is not accepted`);
    }
    // Plain mode signs token, timestamp and nonce but not the body: bound how long a signed URL works.
    if (app.token) assertFreshTimestamp(query.timestamp, policy);
    return { message: inAppFormat(app, envelope), wasEncrypted: false };
  }
  if (!app.aesKey || !app.token) {
    throw new RelayError('INVALID_PUSH', 'this push is encrypted (safe or compatible mode) but no EncodingAESKey is configured for the app');
  }
  if (encrypt === undefined) throw new RelayError('INVALID_PUSH', 'encrypt_type=aes but the body has no Encrypt field');
  if (!isMessageSignatureValid(app.token, query, encrypt)) {
    throw new RelayError('SIGNATURE_INVALID', 'msg_signature does not match the token and the Encrypt field');
  }
  let opened: OpenedMessage;
  try {
    opened = decryptMessage(app.aesKey, encrypt);
  } catch (error) {
    if (error instanceof CiphertextError) throw new RelayError('INVALID_CIPHERTEXT', error.message);
    throw error;
  }
  // The official text: the developer must check this appid is their own.
  if (opened.appId !== app.appId) {
    throw new RelayError('APPID_MISMATCH', `the encrypted push is for another appid than ${app.appId}`);
  }
  const message = readPushBody(opened.message);
  return { message: inAppFormat(app, message), wasEncrypted: true };
}

function assertFreshTimestamp(timestamp: string | undefined, policy: PushAuthPolicy): void {
  const seconds = timestamp !== undefined && /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  const skewS = Math.round(seconds - policy.now / 1000);
  if (Number.isNaN(skewS) || Math.abs(skewS) > policy.timestampWindowS) {
    throw new StaleTimestampError(Number.isNaN(skewS) ? null : skewS, policy.timestampWindowS);
  }
}

/** A plain-mode push outside the timestamp window; carries the skew so the log shows a clock that is off. */
export class StaleTimestampError extends RelayError {
  readonly skewS: number | null;

  constructor(skewS: number | null, windowS: number) {
    super('PUSH_TIMESTAMP_STALE', skewS === null
      ? 'the push has no usable timestamp'
      : `the push's timestamp is ${Math.abs(skewS)} s ${skewS < 0 ? 'behind' : 'ahead of'} the relay's clock, outside the ${windowS} s window (RELAY_PUSH_TIMESTAMP_WINDOW_S)`);
    this.skewS = skewS;
  }
}

function ciphertextOf(envelope: PushMessage): string | undefined {
  const value = envelope.fields.Encrypt;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new RelayError('INVALID_PUSH', 'the Encrypt field must be text');
  return value;
}

/**
 * A handler written for one format cannot read the other: the push is refused
 * with a message saying which setting disagrees, and WeChat keeps retrying
 * while the operator fixes it.
 */
function inAppFormat(app: EndpointApp, message: PushMessage): PushMessage {
  if (app.format && message.format !== app.format) {
    throw new RelayError('PUSH_FORMAT_MISMATCH', `app ${app.appId} is configured for ${app.format.toUpperCase()} but this push is ${message.format.toUpperCase()}: align the console's 数据格式 and the app's format`);
  }
  return message;
}
