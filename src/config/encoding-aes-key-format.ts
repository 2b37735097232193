const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;

/**
 * Says what is wrong with a WeChat EncodingAESKey, or undefined when it is usable:
 * checked when the configuration loads, so a bad key stops the start, not a push.
 * Node's base64 decoder silently skips bad characters, so the text is checked
 * here rather than trusted to the decoder. Never quotes the key: it is a secret.
 */
export function describeEncodingAesKeyProblem(text: string): string | undefined {
  if (text.length !== 43) return `must be the console's 43-character EncodingAESKey, got ${text.length} characters`;
  if (!ENCODING_AES_KEY.test(text)) return 'may hold only letters and digits (A-Z, a-z, 0-9)';
  if (Buffer.from(`${text}=`, 'base64').length !== 32) return 'must decode to 32 bytes';
  return undefined;
}
