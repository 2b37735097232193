import { describe, expect, it } from 'vitest';
import type { Source } from '../../src/config/config-schema.ts';
import { wecomEchostr } from '../../src/providers/sources/encrypted-and-form-kinds.ts';
import { openSourcePush } from '../../src/providers/sources/source-push.ts';

/** WeCom's official sample of its WXBizMsgCrypt library: the URL check and one message. */
const WECOM: Source = { name: 'wecom-app', kind: 'wecom', idPath: 'MsgId', token: 'QDG6eK', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };
const URL_CHECK = {
  msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', timestamp: '1409659589', nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
};
const MESSAGE_QUERY = { msg_signature: '477715d11cdb4164915debcba66cb864d751f3e6', timestamp: '1409659813', nonce: '1372623149' };
const MESSAGE_BODY = '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>';

describe('WeCom conformance: the official sample vectors', () => {
  it('answers the URL check with the decrypted echostr', () => {
    const echo = wecomEchostr(WECOM, URL_CHECK);
    expect(echo).toBe('1616140317555161061');
  });

  it('opens the sample message: the signature holds, it decrypts for the corp, and its MsgId is the id', () => {
    const opened = openSourcePush(WECOM, { 'content-type': 'text/xml' }, MESSAGE_QUERY, Buffer.from(MESSAGE_BODY), Date.now());
    expect(opened.kind).toBe('push');
    if (opened.kind !== 'push') return;
    expect(opened.body).toContain('<ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>');
    expect(opened.contentType).toBe('text/xml');
    expect(opened.body).toContain('<Content><![CDATA[hello]]></Content>');
    expect(opened.correlationId).toBe('4561255354251345929');
  });

  it('refuses the sample under another token (401) or for another corp id (400)', () => {
    expect(() => openSourcePush({ ...WECOM, token: 'another' }, {}, MESSAGE_QUERY, Buffer.from(MESSAGE_BODY), Date.now())).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    expect(() => openSourcePush({ ...WECOM, corpId: 'ww0000000000000000' }, {}, MESSAGE_QUERY, Buffer.from(MESSAGE_BODY), Date.now())).toThrow(expect.objectContaining({ code: 'APPID_MISMATCH', statusCode: 400 }));
    expect(() => wecomEchostr({ ...WECOM, corpId: 'ww0000000000000000' }, URL_CHECK)).toThrow(expect.objectContaining({ code: 'APPID_MISMATCH' }));
  });
});
