/**
 * WeChat pads its plaintext with PKCS#7 to a multiple of 32 bytes, not of AES's
 * 16-byte block, so padding runs from 1 to 32 bytes. A decipher's built-in
 * unpadding only knows 16 and throws on anything longer: both ways are done here.
 */
export const WECHAT_PAD_BLOCK = 32;

export function pad32(data: Buffer): Buffer {
  const count = WECHAT_PAD_BLOCK - (data.length % WECHAT_PAD_BLOCK);
  return Buffer.concat([data, Buffer.alloc(count, count)]);
}

/** Strips the padding; throws when the last bytes are not a valid 1..32 padding. */
export function unpad32(data: Buffer): Buffer {
  const count = data.at(-1);
  if (count === undefined || count < 1 || count > WECHAT_PAD_BLOCK || count > data.length) throw new Error('the padding is not valid');
  for (let at = data.length - count; at < data.length; at += 1) {
    if (data[at] !== count) throw new Error('the padding is not valid');
  }
  return data.subarray(0, data.length - count);
}
