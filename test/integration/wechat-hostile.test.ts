import { createCipheriv } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEncodingAesKey } from '../../src/providers/wechat/aes-key.ts';
import { encryptMessage } from '../../src/providers/wechat/message-cipher.ts';
import { pad32 } from '../../src/providers/wechat/pkcs7-32.ts';
import { formatEvent, mediaCheckEvent, toWechatXml } from '../../src/simulator/sample-events.ts';
import { sha1Sorted } from '../../src/providers/wechat/signature.ts';
import { BusinessServer } from '../helpers/business-server.ts';
import { push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { COMPAT_XML_APP, SAFE_JSON_APP, pushAs, writeRelayConfig } from '../helpers/wechat-config.ts';

type App = typeof SAFE_JSON_APP | typeof COMPAT_XML_APP;

/** A push whose msg_signature is right for `encrypt`, so the relay gets as far as decrypting it. */
function signedEnvelope(app: App, encrypt: string, overrides: { msgSignature?: string; signature?: string } = {}) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = '424242';
  const query = {
    signature: overrides.signature ?? sha1Sorted([app.token, timestamp, nonce]),
    timestamp,
    nonce,
    encrypt_type: 'aes',
    msg_signature: overrides.msgSignature ?? sha1Sorted([app.token, timestamp, nonce, encrypt]),
  };
  const body = app.format === 'json' ? JSON.stringify({ ToUserName: 'gh_x', Encrypt: encrypt }) : toWechatXml({ ToUserName: 'gh_x', Encrypt: encrypt });
  return { query, body, contentType: app.format === 'json' ? 'application/json' : 'text/xml' };
}

/** Encrypts raw FullStr bytes (already laid out) with the app's key, valid padding. */
function sealRaw(app: App, fullStr: Buffer): string {
  const key = decodeEncodingAesKey(app.encodingAesKey);
  const cipher = createCipheriv('aes-256-cbc', key.key, key.iv).setAutoPadding(false);
  return Buffer.concat([cipher.update(pad32(fullStr)), cipher.final()]).toString('base64');
}

/** Encrypts bytes as they are, with no padding added: for padding that is wrong on purpose. */
function sealUnpadded(app: App, data: Buffer): string {
  const key = decodeEncodingAesKey(app.encodingAesKey);
  const cipher = createCipheriv('aes-256-cbc', key.key, key.iv).setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]).toString('base64');
}

function header(length: number): Buffer {
  const buffer = Buffer.alloc(20, 0x61);
  buffer.writeUInt32BE(length, 16);
  return buffer;
}

describe('hostile pushes to encrypted apps: refused, stored nowhere, the genuine push still delivered', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    business = await BusinessServer.start();
    relay = await startRelay({ RELAY_CONFIG: writeRelayConfig({ apps: [SAFE_JSON_APP, COMPAT_XML_APP] }) });
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  const storedCount = async () => (await send('GET', `${relay.url}/api/callbacks?limit=200`)).body.callbacks.length as number;
  const genuine = (app: App, traceId: string) => formatEvent(app.format, mediaCheckEvent({ appId: app.appId, traceId }));
  const keyOf = (app: App) => decodeEncodingAesKey(app.encodingAesKey);
  const otherKey = decodeEncodingAesKey('Q'.repeat(43));

  const cases: Array<[string, (app: App) => ReturnType<typeof signedEnvelope>, number, string]> = [
    ['a wrong signature', (app) => signedEnvelope(app, encryptMessage(keyOf(app), genuine(app, 'h'), app.appId), { signature: sha1Sorted(['wrong', '1', '2']) }), 401, 'SIGNATURE_INVALID'],
    ['a wrong msg_signature', (app) => signedEnvelope(app, encryptMessage(keyOf(app), genuine(app, 'h'), app.appId), { msgSignature: sha1Sorted(['wrong', '1', '2', '3']) }), 401, 'SIGNATURE_INVALID'],
    ['a ciphertext made for another appid', (app) => signedEnvelope(app, encryptMessage(keyOf(app), genuine(app, 'h'), 'wxsomeoneelse0001')), 400, 'APPID_MISMATCH'],
    ['bad base64', (app) => signedEnvelope(app, 'not*base64$$'), 400, 'INVALID_CIPHERTEXT'],
    ['bad padding (a last byte of 0)', (app) => signedEnvelope(app, sealUnpadded(app, Buffer.concat([header(4), Buffer.from('{}{}'), Buffer.from(app.appId), Buffer.alloc(64 - 24 - app.appId.length, 0)]))), 400, 'INVALID_CIPHERTEXT'],
    ['bad padding (inconsistent bytes)', (app) => signedEnvelope(app, sealUnpadded(app, Buffer.concat([header(4), Buffer.from('{}{}'), Buffer.from(app.appId), Buffer.alloc(64 - 24 - app.appId.length - 1, 9), Buffer.from([3])]))), 400, 'INVALID_CIPHERTEXT'],
    ['a ciphertext under another key', (app) => signedEnvelope(app, encryptMessage(otherKey, genuine(app, 'h'), app.appId)), 400, 'INVALID_CIPHERTEXT'],
    ['a truncated ciphertext', (app) => signedEnvelope(app, encryptMessage(keyOf(app), genuine(app, 'h'), app.appId).slice(0, 40)), 400, 'INVALID_CIPHERTEXT'],
    ['a length field past the end', (app) => signedEnvelope(app, sealRaw(app, Buffer.concat([header(1_000_000), Buffer.from(app.appId)]))), 400, 'INVALID_CIPHERTEXT'],
    ['an encrypted DOCTYPE with entities', (app) => signedEnvelope(app, encryptMessage(keyOf(app), '<!DOCTYPE x [<!ENTITY a "b">]><xml><a>&a;</a></xml>', app.appId)), 400, 'XML_NOT_ALLOWED'],
    ['deeply nested encrypted XML', (app) => signedEnvelope(app, encryptMessage(keyOf(app), `<xml>${'<a>'.repeat(3000)}${'</a>'.repeat(3000)}</xml>`, app.appId)), 400, 'XML_NOT_ALLOWED'],
    ['an Encrypt field that is not text', (app) => ({ ...signedEnvelope(app, 'x'), body: '{"ToUserName":"gh_x","Encrypt":{"a":1}}', contentType: 'application/json' }), 400, 'INVALID_PUSH'],
    ['encrypt_type=aes without an Encrypt field', (app) => ({ ...signedEnvelope(app, 'x'), body: '{"ToUserName":"gh_x"}', contentType: 'application/json' }), 400, 'INVALID_PUSH'],
  ];

  for (const app of [SAFE_JSON_APP, COMPAT_XML_APP]) {
    it.each(cases)(`${app.format} app: %s`, async (_name, build, status, code) => {
      const before = await storedCount();
      const hostile = build(app);
      const answer = await push(relay, hostile.body, hostile.query, `/api/wechat/${app.appId}`, hostile.contentType);
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(answer.text).not.toContain('success');
      expect(await storedCount()).toBe(before);
    });
  }

  it('refuses a huge document with 413 without reading it, and keeps serving', async () => {
    const huge = signedEnvelope(SAFE_JSON_APP, 'A'.repeat(1100 * 1024));
    const answer = await push(relay, huge.body, huge.query, `/api/wechat/${SAFE_JSON_APP.appId}`, huge.contentType);
    expect(answer.status).toBe(413);
    expect((await send('GET', `${relay.url}/healthz`)).status).toBe(200);
  });

  it('delivers the genuine push of each app after all the hostile ones', async () => {
    for (const app of [SAFE_JSON_APP, COMPAT_XML_APP]) {
      const traceId = `genuine-after-hostile-${app.format}`;
      await register(relay, { trace_id: traceId, server_uri: `${business.url}/${app.format}`, app_id: app.appId });
      const message = genuine(app, traceId);
      expect(await pushAs(relay, app, app.mode, message)).toEqual({ status: 200, text: 'success' });
      const [forwarded] = await business.waitForRequests(app === SAFE_JSON_APP ? 1 : 2).then((all) => all.filter((item) => item.path === `/${app.format}`));
      expect(forwarded?.body.toString('utf8')).toBe(message);
    }
    expect(business.requests).toHaveLength(2);
  });
});
