import { describe, expect, it } from 'vitest';
import { fingerprintOf, identifyPush } from '../../src/providers/wechat/push-identity.ts';
import { readPushBody } from '../../src/providers/wechat/push-message.ts';
import { parseWechatXml } from '../../src/providers/wechat/safe-xml.ts';
import { isUrlSignatureValid, sha1Sorted } from '../../src/providers/wechat/signature.ts';
import { mediaCheckJson, mediaCheckXml } from '../helpers/wechat-signer.ts';

describe('WeChat signatures (official vectors)', () => {
  it('V1: URL verification', () => {
    expect(sha1Sorted(['AAAAA', '1714036504', '1514711492'])).toBe('f464b24fc39322e44b38aa78f5edd27bd1441696');
    expect(isUrlSignatureValid('AAAAA', { signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696', timestamp: '1714036504', nonce: '1514711492' })).toBe(true);
  });
  it('V2: plain POST', () => {
    expect(isUrlSignatureValid('AAAAA', { signature: '899cf89e464efb63f54ddac96b0a0a235f53aa78', timestamp: '1714037059', nonce: '486452656' })).toBe(true);
    expect(isUrlSignatureValid('AAAAA', { signature: '899CF89E464EFB63F54DDAC96B0A0A235F53AA78', timestamp: '1714037059', nonce: '486452656' })).toBe(true);
    expect(isUrlSignatureValid('AAAAB', { signature: '899cf89e464efb63f54ddac96b0a0a235f53aa78', timestamp: '1714037059', nonce: '486452656' })).toBe(false);
    expect(isUrlSignatureValid('AAAAA', { signature: '899cf89e464efb63f54ddac96b0a0a235f53aa78', timestamp: '1714037059' })).toBe(false);
  });
});

describe('push bodies', () => {
  it('sniffs JSON and XML from the first non-blank byte, whatever the content type', () => {
    expect(readPushBody(Buffer.from(`  ${mediaCheckJson('t')}`)).format).toBe('json');
    const xml = readPushBody(Buffer.from(mediaCheckXml('t-xml')));
    expect(xml.format).toBe('xml');
    expect(xml.fields).toMatchObject({ MsgType: 'event', Event: 'wxa_media_check', trace_id: 't-xml', version: '2' });
  });

  it('refuses invalid UTF-8, NUL, and bodies that are neither', () => {
    expect(() => readPushBody(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow(/UTF-8/);
    expect(() => readPushBody(Buffer.from('{"a":"\u0000"}'))).toThrow(/NUL/);
    expect(() => readPushBody(Buffer.from('hello'))).toThrow(/neither/);
  });

  it('refuses DOCTYPE, entities, processing instructions and deep nesting before parsing', () => {
    expect(() => parseWechatXml('<!DOCTYPE x><xml/>')).toThrow(/DOCTYPE/);
    expect(() => parseWechatXml('<xml><!ENTITY a "b"></xml>')).toThrow(/DOCTYPE or entity/);
    expect(() => parseWechatXml('<?xml-stylesheet href="x"?><xml><a>1</a></xml>')).toThrow(/processing/);
    expect(() => parseWechatXml(`<xml>${'<a>'.repeat(40)}${'</a>'.repeat(40)}</xml>`)).toThrow(/deeper/);
    // A CDATA section may contain anything, including what looks like a DOCTYPE.
    expect(parseWechatXml('<?xml version="1.0"?><xml><Content><![CDATA[<!DOCTYPE not-really>]]></Content></xml>')).toEqual({ Content: '<!DOCTYPE not-really>' });
  });

  it('stays linear on hostile unclosed markup', () => {
    const hostile = '<a'.repeat(200_000);
    const started = performance.now();
    expect(() => parseWechatXml(`<xml>${hostile}`)).toThrow();
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('push identity', () => {
  it('keys a media check by trace_id, not by FromUserName + CreateTime', () => {
    const a = identifyPush(readPushBody(Buffer.from(mediaCheckJson('trace-a'))));
    const b = identifyPush(readPushBody(Buffer.from(mediaCheckJson('trace-b'))));
    expect(a).toMatchObject({ event: 'event/wxa_media_check', correlationId: 'trace-a', dedupeKey: 'id:trace-a' });
    expect(a.dedupeKey).not.toBe(b.dedupeKey);
  });

  it('gives the same fingerprint to a repeat, in JSON or XML typing, and another to a different verdict', () => {
    const first = JSON.parse(mediaCheckJson('t', 'pass'));
    expect(fingerprintOf({ ...first, CreateTime: 1 })).toBe(fingerprintOf({ ...first, CreateTime: 2 }));
    expect(fingerprintOf({ version: 2 })).toBe(fingerprintOf({ version: '2' }));
    expect(fingerprintOf(first)).not.toBe(fingerprintOf(JSON.parse(mediaCheckJson('t', 'risky'))));
  });

  it('keys messages by MsgId and anything else by content; refuses a media check with no trace_id', () => {
    expect(identifyPush(readPushBody(Buffer.from('{"MsgType":"text","MsgId":6054768590064713728,"Content":"hi"}'))).dedupeKey).toBe('msg:6054768590064713728');
    expect(identifyPush(readPushBody(Buffer.from('{"MsgType":"event","Event":"debug_demo"}'))).dedupeKey).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(() => identifyPush(readPushBody(Buffer.from('{"MsgType":"event","Event":"wxa_media_check"}')))).toThrow(/trace_id/);
  });
});
