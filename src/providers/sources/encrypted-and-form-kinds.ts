import { createHash } from 'node:crypto';
import type { Source } from '../../config/config-schema.ts';
import { RelayError } from '../../errors/relay-error.ts';
import { decodeEncodingAesKey } from '../wechat/aes-key.ts';
import { CiphertextError, decryptMessage } from '../wechat/message-cipher.ts';
import { parseWechatXml } from '../wechat/safe-xml.ts';
import { isMessageSignatureValid, signaturesMatch } from '../wechat/signature.ts';

export type Query = Record<string, string | undefined>;

/** What a push says once it is known to be genuine: its document for idPath, and the bytes to forward. */
export interface OpenedDocument {
  document: Record<string, unknown>;
  text: string;
  contentType: string;
}

/**
 * WeCom's ciphertext, with WeChat's own crypto (same padding and layout): msg_signature
 * over token, timestamp, nonce and the ciphertext, then AES-256-CBC, the receive id
 * being the corp id. Refuses a ciphertext made for another corp.
 */
function decryptForCorp(source: Source, query: Query, encrypt: string): string {
  if (!isMessageSignatureValid(source.token!, query, encrypt)) throw new RelayError('SIGNATURE_INVALID', 'msg_signature does not match the source\'s token');
  let opened: ReturnType<typeof decryptMessage>;
  try {
    opened = decryptMessage(decodeEncodingAesKey(source.encodingAesKey!), encrypt);
  } catch (error) {
    if (error instanceof CiphertextError) throw new RelayError('INVALID_CIPHERTEXT', error.message);
    throw error;
  }
  if (opened.appId !== source.corpId) throw new RelayError('APPID_MISMATCH', 'the ciphertext was made for another corp id than the source\'s corpId');
  return opened.message.toString('utf8');
}

/** WeCom's URL check: the decrypted echostr, as text. */
export function wecomEchostr(source: Source, query: Query): string {
  if (!query.echostr) throw new RelayError('INVALID_REQUEST', 'a WeCom URL check carries echostr');
  return decryptForCorp(source, query, query.echostr);
}

/** A WeCom push: the `Encrypt` of its XML envelope, decrypted; what is forwarded is the decrypted XML. */
export function openWecomPush(source: Source, query: Query, raw: Buffer): OpenedDocument {
  const envelope = parseWechatXml(raw.toString('utf8'));
  const encrypt = typeof envelope.Encrypt === 'string' ? envelope.Encrypt : undefined;
  if (!encrypt) throw new RelayError('INVALID_PUSH', 'a WeCom push carries an Encrypt field');
  const text = decryptForCorp(source, query, encrypt);
  return { document: parseWechatXml(text), text, contentType: 'text/xml' };
}

/** Aliyun content moderation: form fields `checksum` = hex SHA-256 of uid + seed + content, and `content`. */
export function openAliyunPush(source: Source, contentType: string | undefined, raw: Buffer): OpenedDocument {
  const text = raw.toString('utf8');
  const fields = new URLSearchParams(text);
  const content = fields.get('content');
  const checksum = fields.get('checksum');
  if (content === null || checksum === null) throw new RelayError(checksum === null ? 'SIGNATURE_INVALID' : 'INVALID_PUSH', 'an Aliyun callback is a form with checksum and content');
  const expected = createHash('sha256').update(`${source.uid}${source.seed}${content}`).digest('hex');
  if (!signaturesMatch(expected, checksum)) throw new RelayError('SIGNATURE_INVALID', 'checksum does not match uid, seed and content');
  return { document: Object.fromEntries(fields), text, contentType: contentType ?? 'application/x-www-form-urlencoded' };
}
