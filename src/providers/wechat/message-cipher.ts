import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { AesKey } from './aes-key.ts';
import { pad32, unpad32 } from './pkcs7-32.ts';

/** A decrypted push: WeChat's FullStr = random(16) ‖ msg_len (4, big-endian) ‖ msg ‖ appid. */
export interface OpenedMessage {
  message: Buffer;
  appId: string;
  random: Buffer;
}

/** Why a ciphertext was refused; the caller turns it into a coded 4xx. */
export class CiphertextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CiphertextError';
  }
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEADER_BYTES = 20;
const APPID = /^[A-Za-z0-9_-]{1,64}$/;

/** Encrypts `message` for `appId` the way WeChat does; returns the `Encrypt` text. */
export function encryptMessage(key: AesKey, message: string | Buffer, appId: string, random: Buffer = randomBytes(16)): string {
  if (random.length !== 16) throw new Error('the random prefix must be 16 bytes');
  const body = Buffer.isBuffer(message) ? message : Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const plain = pad32(Buffer.concat([random, length, body, Buffer.from(appId, 'utf8')]));
  const cipher = createCipheriv('aes-256-cbc', key.key, key.iv).setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

/**
 * Decrypts an `Encrypt` text. Every length is checked before it is used, so a
 * forged or truncated ciphertext fails with a CiphertextError, never a crash.
 */
export function decryptMessage(key: AesKey, encrypt: string): OpenedMessage {
  const text = encrypt.trim();
  // Node's decoder skips bad characters silently: check the text first.
  if (text.length === 0 || !STRICT_BASE64.test(text)) throw new CiphertextError('Encrypt is not valid base64');
  const sealed = Buffer.from(text, 'base64');
  if (sealed.length % 16 !== 0) throw new CiphertextError(`the ciphertext is ${sealed.length} bytes, not a multiple of the 16-byte AES block (truncated?)`);
  const decipher = createDecipheriv('aes-256-cbc', key.key, key.iv).setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(sealed), decipher.final()]);
  let plain: Buffer;
  try {
    plain = unpad32(padded);
  } catch {
    throw new CiphertextError('the decrypted padding is not valid (wrong EncodingAESKey, or a damaged ciphertext)');
  }
  if (plain.length < HEADER_BYTES) throw new CiphertextError('the decrypted message is shorter than its 20-byte header');
  const length = plain.readUInt32BE(16);
  if (length > plain.length - HEADER_BYTES) throw new CiphertextError('the length field points past the end of the decrypted message');
  const appId = plain.subarray(HEADER_BYTES + length).toString('latin1');
  if (!APPID.test(appId)) throw new CiphertextError('the decrypted message carries no valid appid');
  return { message: plain.subarray(HEADER_BYTES, HEADER_BYTES + length), appId, random: plain.subarray(0, 16) };
}
