import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeEncodingAesKey } from '../../src/providers/wechat/aes-key.ts';
import { describeEncodingAesKeyProblem } from '../../src/config/encoding-aes-key-format.ts';
import { CiphertextError, decryptMessage, encryptMessage } from '../../src/providers/wechat/message-cipher.ts';
import { pad32, unpad32 } from '../../src/providers/wechat/pkcs7-32.ts';
import { readPushBody } from '../../src/providers/wechat/push-message.ts';
import { sha1Sorted } from '../../src/providers/wechat/signature.ts';
import * as V from '../fixtures/wechat-vectors.ts';

const ZERO_KEY = 'A'.repeat(43);
const SAMPLE_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

const encryptOf = (body: string): string => String(readPushBody(Buffer.from(body)).fields.Encrypt);

describe('WeChat conformance: the official vectors of wechat.md §8', () => {
  it('V1: GET verification signature', () => {
    expect(sha1Sorted(['AAAAA', '1714036504', '1514711492'])).toBe('f464b24fc39322e44b38aa78f5edd27bd1441696');
  });

  it('V2: plain POST signature', () => {
    expect(sha1Sorted(['AAAAA', '1714037059', '486452656'])).toBe('899cf89e464efb63f54ddac96b0a0a235f53aa78');
  });

  it('V3: safe-mode JSON, padding 19 (a 16-byte unpadder throws on it)', () => {
    const encrypt = encryptOf(V.v3Body);
    expect(sha1Sorted(['AAAAA', '1714112445', '415670741'])).toBe('6c5c811b55cc85e0e1b54100749188c20beb3f5d');
    expect(sha1Sorted(['AAAAA', '1714112445', '415670741', encrypt])).toBe('046e02f8204d34f8ba5fa3b1db94908f3df2e9b3');
    const key = decodeEncodingAesKey(ZERO_KEY);
    const sealed = Buffer.from(encrypt, 'base64');
    expect(sealed).toHaveLength(224);
    const raw = createDecipheriv('aes-256-cbc', key.key, key.iv).setAutoPadding(false);
    const padded = Buffer.concat([raw.update(sealed), raw.final()]);
    expect(padded.at(-1)).toBe(19);
    expect(unpad32(padded)).toHaveLength(205);
    const defaultPadding = createDecipheriv('aes-256-cbc', key.key, key.iv);
    expect(() => Buffer.concat([defaultPadding.update(sealed), defaultPadding.final()])).toThrow();
    const opened = decryptMessage(key, encrypt);
    expect(opened.random.toString('latin1')).toBe('a8eedb185eb2fecf');
    expect(opened.message).toHaveLength(167);
    expect(opened.message.toString('utf8')).toBe(V.v3Msg);
    expect(opened.appId).toBe('wxba5fad812f8e6fb9');
  });

  it('V4: encrypted JSON reply, byte for byte', () => {
    const key = decodeEncodingAesKey(ZERO_KEY);
    const encrypt = encryptMessage(key, '{"demo_resp":"good luck"}', 'wxba5fad812f8e6fb9', Buffer.from('707722b803182950'));
    expect(encrypt).toBe(V.v4Encrypt);
    expect(sha1Sorted(['AAAAA', '1713424427', '415670741', encrypt])).toBe('1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1');
    expect(JSON.stringify({ Encrypt: encrypt, MsgSignature: '1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1', TimeStamp: 1713424427, Nonce: '415670741' })).toBe(V.v4Body);
  });

  it('V5: safe-mode XML push and its encrypted reply', () => {
    const encrypt = encryptOf(V.v5Body);
    expect(sha1Sorted(['AAAAA', '1715943329', '1590219412'])).toBe('cc0c594499c1634947d5b502f158ee518947db27');
    expect(sha1Sorted(['AAAAA', '1715943329', '1590219412', encrypt])).toBe('6c12a4205838198b8fa631b3220723bb07f1015c');
    const key = decodeEncodingAesKey(ZERO_KEY);
    expect(Buffer.from(encrypt, 'base64')).toHaveLength(352);
    const opened = decryptMessage(key, encrypt);
    expect(opened.random.toString('latin1')).toBe('1205899eaf019bbd');
    expect(opened.message).toHaveLength(292);
    expect(opened.message.toString('utf8')).toBe(V.v5Msg);
    expect(opened.appId).toBe('wx134c8103faa5a59e');
    const reply = encryptMessage(key, '<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>', 'wx134c8103faa5a59e', Buffer.from('999951349e8ee746'));
    expect(reply).toBe(V.v5ReplyEncrypt);
    expect(sha1Sorted(['AAAAA', '1713424427', '415670741', reply])).toBe('03e0812039325c2712ef5f0f980fd14c70d6e307');
  });

  it('V6: compatible-mode XML with a non-zero key (IV = key[0..16], not zeros)', () => {
    const key = decodeEncodingAesKey(SAMPLE_KEY);
    expect(key.key.toString('hex')).toBe('69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051');
    expect(key.iv).toEqual(key.key.subarray(0, 16));
    const encrypt = encryptOf(V.v6Body);
    expect(sha1Sorted(['spamtest', '1409735669', '1320562132', encrypt])).toBe('5d197aaffba7e9b25a30732f161a50dee96bd5fa');
    const opened = decryptMessage(key, encrypt);
    expect(opened.random.toString('latin1')).toBe('89465c840c5f116f');
    expect(opened.message).toHaveLength(280);
    expect(opened.message.toString('utf8')).toBe(V.v6Msg);
    expect(opened.appId).toBe('wx2c2769f8efd9abc2');
    // In CBC a wrong IV spoils only the first block (the random prefix) when decrypting;
    // encrypting with it spoils every block, which V7 catches.
    const zeroIv = { key: key.key, iv: Buffer.alloc(16) };
    expect(decryptMessage(zeroIv, encrypt).random.toString('latin1')).not.toBe('89465c840c5f116f');
    expect(encryptMessage(zeroIv, V.v6Msg, 'wx2c2769f8efd9abc2', Buffer.from('89465c840c5f116f'))).not.toBe(encrypt);
    expect(encryptMessage(key, V.v6Msg, 'wx2c2769f8efd9abc2', Buffer.from('89465c840c5f116f'))).toBe(encrypt);
  });

  it('V7: deterministic encryption with a non-zero key; msg_len counts UTF-8 bytes', () => {
    const key = decodeEncodingAesKey(SAMPLE_KEY);
    const random = Buffer.from('aaaabbbbccccdddd');
    const first = encryptMessage(key, '我是中文abcd123', 'wxb11529c136998cb6', random);
    expect(first).toBe(V.v7Encrypt1);
    expect(decryptMessage(key, first).message).toEqual(Buffer.from('我是中文abcd123'));
    expect(decryptMessage(key, first).message).toHaveLength(19);
    expect(encryptMessage(key, V.v7Msg2, 'wxb11529c136998cb6', random)).toBe(V.v7Encrypt2);
    expect(decryptMessage(key, V.v7Encrypt2).message.toString('utf8')).toBe(V.v7Msg2);
    expect(sha1Sorted(['pamtest', '1409304348', 'xxxxxx', first])).toBe('82c962d39941aa48552f90ef55aa323dc620cc10');
  });

  it('V8: EasyWeChat vector: padding 21, msg_len 293, appid trailer', () => {
    const key = decodeEncodingAesKey(SAMPLE_KEY);
    expect(sha1Sorted(['pamtest', '1458300676', '260774613', V.v8Encrypt])).toBe('4f3ad57b6989f09f4eb392acce4f9e93942ed890');
    const raw = createDecipheriv('aes-256-cbc', key.key, key.iv).setAutoPadding(false);
    const padded = Buffer.concat([raw.update(Buffer.from(V.v8Encrypt, 'base64')), raw.final()]);
    expect(padded.at(-1)).toBe(21);
    const opened = decryptMessage(key, V.v8Encrypt);
    expect(opened.message).toHaveLength(293);
    expect(opened.message.toString('utf8')).toBe(V.v8Msg);
    expect(opened.appId).toBe('wxb11529c136998cb6');
    expect(opened.appId).not.toBe('invalid appid');
  });
});

describe('the relay\'s own encryption through its own decryption', () => {
  const messages = ['', 'x', 'a'.repeat(11), 'b'.repeat(12), 'c'.repeat(44), '{"trace_id":"中文-🎉"}', '<xml><a><![CDATA[x]]></a></xml>', 'z'.repeat(70_000)];
  it.each(messages.map((message) => [message.length, message] as const))('round-trips a message of %i characters with random keys', (_length, message) => {
    for (let i = 0; i < 5; i += 1) {
      const key = decodeEncodingAesKey(randomBytes(32).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 43));
      const opened = decryptMessage(key, encryptMessage(key, message, 'wx0123456789abcdef'));
      expect(opened.message.toString('utf8')).toBe(message);
      expect(opened.appId).toBe('wx0123456789abcdef');
      expect(Buffer.from(encryptMessage(key, message, 'wx1'), 'base64').length % 32).toBe(0);
    }
  });

  it('pads to 32 bytes, 1 to 32 bytes of padding', () => {
    for (let length = 0; length <= 64; length += 1) {
      const padded = pad32(Buffer.alloc(length, 7));
      expect(padded.length % 32).toBe(0);
      expect(padded.length - length).toBeGreaterThanOrEqual(1);
      expect(padded.length - length).toBeLessThanOrEqual(32);
      expect(unpad32(padded)).toEqual(Buffer.alloc(length, 7));
    }
  });
});

describe('hostile ciphertexts fail cleanly', () => {
  const key = decodeEncodingAesKey(SAMPLE_KEY);
  const good = encryptMessage(key, '{"MsgType":"event"}', 'wx1');
  const sealWithRaw = (plain: Buffer): string => {
    // A ciphertext whose decrypted layout is hostile, with valid padding.
    const cipher = createCipheriv('aes-256-cbc', key.key, key.iv).setAutoPadding(false);
    return Buffer.concat([cipher.update(pad32(plain)), cipher.final()]).toString('base64');
  };
  const cases: Array<[string, string]> = [
    ['bad base64', 'abc$%^'],
    ['base64 with a character Node would skip', `${good.slice(0, 8)}!${good.slice(9)}`],
    ['empty', ''],
    ['truncated (not a block multiple)', good.slice(0, good.length - 8)],
    ['truncated to one block', Buffer.from(good, 'base64').subarray(0, 16).toString('base64')],
    ['a length field past the end', sealWithRaw(Buffer.concat([Buffer.alloc(16), Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.from('wx1')]))],
    ['shorter than the header', sealWithRaw(Buffer.alloc(10))],
  ];
  it.each(cases)('%s', (_name, encrypt) => {
    expect(() => decryptMessage(key, encrypt)).toThrow(CiphertextError);
  });

  it('another key: bad padding or garbage, never a crash', () => {
    const other = decodeEncodingAesKey(ZERO_KEY);
    expect(() => decryptMessage(other, good)).toThrow(CiphertextError);
  });

  it('refuses keys that are not 43 letters and digits decoding to 32 bytes', () => {
    expect(describeEncodingAesKeyProblem(SAMPLE_KEY)).toBeUndefined();
    expect(describeEncodingAesKeyProblem('short')).toMatch(/43-character/);
    expect(describeEncodingAesKeyProblem(`${SAMPLE_KEY.slice(0, 42)}+`)).toMatch(/letters and digits/);
    expect(() => decodeEncodingAesKey('x'.repeat(44))).toThrow(/EncodingAESKey/);
  });
});
