import { randomBytes, randomInt } from 'node:crypto';
import { request } from 'undici';
import { decodeEncodingAesKey } from '../providers/wechat/aes-key.ts';
import { encryptMessage } from '../providers/wechat/message-cipher.ts';
import { readPushBody, type PushFormat } from '../providers/wechat/push-message.ts';
import { toWechatXml } from './sample-events.ts';
import { sha1Sorted } from '../providers/wechat/signature.ts';

export type PushMode = 'plain' | 'compatible' | 'safe';

export interface SimulatedPushOptions {
  appId: string;
  /** The console's Token; without it the push goes unsigned (a relay without token accepts it). */
  token?: string;
  /** Needed for `compatible` and `safe`. */
  encodingAesKey?: string;
  mode: PushMode;
  /** The plain-mode message, exactly as WeChat would push it in plain mode (JSON or XML). */
  message: string;
  timestamp?: string;
  nonce?: string;
  /** The 16 random bytes that lead the encrypted text (fixed only to reproduce a vector). */
  random?: Buffer;
}

/** What WeChat's servers would send: the query string and the body. */
export interface SimulatedPush {
  query: Record<string, string>;
  body: string;
  contentType: string;
  format: PushFormat;
}

/**
 * Builds a push the way WeChat does: signs the query, and in compatible and safe
 * mode encrypts the message for the app and signs the ciphertext. The envelope
 * takes the message's own format, as the console's one 数据格式 switch does.
 */
export function buildSimulatedPush(options: SimulatedPushOptions): SimulatedPush {
  const plain = readPushBody(Buffer.from(options.message, 'utf8'));
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? String(randomInt(1, 2 ** 31));
  const query: Record<string, string> = { timestamp, nonce };
  if (options.token) query.signature = sha1Sorted([options.token, timestamp, nonce]);
  const contentType = plain.format === 'json' ? 'application/json' : 'text/xml';
  if (options.mode === 'plain') return { query, body: options.message, contentType, format: plain.format };
  if (!options.encodingAesKey || !options.token) throw new Error(`${options.mode} mode needs the app's token and EncodingAESKey`);
  const encrypt = encryptMessage(decodeEncodingAesKey(options.encodingAesKey), options.message, options.appId, options.random ?? randomBytes(16));
  query.openid = typeof plain.fields.FromUserName === 'string' ? plain.fields.FromUserName : 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY';
  query.encrypt_type = 'aes';
  query.msg_signature = sha1Sorted([options.token, timestamp, nonce, encrypt]);
  // Compatible mode carries the plaintext fields and the ciphertext; safe mode only the ciphertext.
  const fields = options.mode === 'compatible'
    ? { ...plain.fields, Encrypt: encrypt }
    : { ToUserName: plain.fields.ToUserName ?? '', Encrypt: encrypt };
  const body = plain.format === 'json' ? JSON.stringify(fields) : toWechatXml(fields);
  return { query, body, contentType, format: plain.format };
}

export interface PushAnswer {
  status: number;
  text: string;
}

/** POSTs a simulated push to a relay's push URL (`…/api/wechat` or `…/api/wechat/<appid>`). */
export async function sendSimulatedPush(pushUrl: string, push: SimulatedPush): Promise<PushAnswer> {
  const url = new URL(pushUrl);
  for (const [name, value] of Object.entries(push.query)) url.searchParams.set(name, value);
  const response = await request(url, { method: 'POST', headers: { 'content-type': push.contentType }, body: push.body });
  return { status: response.statusCode, text: await response.body.text() };
}
