import { describeEncodingAesKeyProblem } from '../../config/encoding-aes-key-format.ts';

/** WeChat's AES key and IV, both derived from the console's EncodingAESKey. */
export interface AesKey {
  /** 32 bytes: AES-256. */
  readonly key: Buffer;
  /** The first 16 bytes of the key (not zeros: the official all-`A` vectors cannot tell the two apart). */
  readonly iv: Buffer;
}

/** AESKey = Base64_Decode(EncodingAESKey + "="); throws when the text is not a valid key. */
export function decodeEncodingAesKey(text: string): AesKey {
  const problem = describeEncodingAesKeyProblem(text);
  if (problem) throw new Error(`EncodingAESKey ${problem}`);
  const key = Buffer.from(`${text}=`, 'base64');
  return { key, iv: key.subarray(0, 16) };
}
