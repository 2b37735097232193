/** WeChat's AES key and IV, both derived from the console's EncodingAESKey. */
export interface AesKey {
  /** 32 bytes: AES-256. */
  readonly key: Buffer;
  /** The first 16 bytes of the key (not zeros: the official all-`A` vectors cannot tell the two apart). */
  readonly iv: Buffer;
}

const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;

/**
 * Says what is wrong with an EncodingAESKey, or undefined when it is usable.
 * Node's base64 decoder silently skips bad characters, so the text is checked
 * here rather than trusted to the decoder. Never quotes the key: it is a secret.
 */
export function describeEncodingAesKeyProblem(text: string): string | undefined {
  if (text.length !== 43) return `must be the console's 43-character EncodingAESKey, got ${text.length} characters`;
  if (!ENCODING_AES_KEY.test(text)) return 'may hold only letters and digits (A-Z, a-z, 0-9)';
  if (Buffer.from(`${text}=`, 'base64').length !== 32) return 'must decode to 32 bytes';
  return undefined;
}

/** AESKey = Base64_Decode(EncodingAESKey + "="); throws when the text is not a valid key. */
export function decodeEncodingAesKey(text: string): AesKey {
  const problem = describeEncodingAesKeyProblem(text);
  if (problem) throw new Error(`EncodingAESKey ${problem}`);
  const key = Buffer.from(`${text}=`, 'base64');
  return { key, iv: key.subarray(0, 16) };
}
