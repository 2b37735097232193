import { createHash, randomInt } from 'node:crypto';

/**
 * The tests' own WeChat: signs queries the way WeChat's servers do, computed here
 * independently of the relay's code.
 */
export function signQuery(token: string, timestamp = String(Math.floor(Date.now() / 1000)), nonce = String(randomInt(1e9))): Record<string, string> {
  const signature = createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
  return { signature, timestamp, nonce };
}

export function mediaCheckJson(traceId: string, suggest = 'pass', appid = 'wx8f16a5be77871234'): string {
  return JSON.stringify({
    ToUserName: 'gh_9df7d78a1234',
    FromUserName: 'o4_t144jTUSEoxydysUA2E234_tc',
    CreateTime: 1626959646,
    MsgType: 'event',
    Event: 'wxa_media_check',
    appid,
    trace_id: traceId,
    version: 2,
    detail: [{ strategy: 'content_model', errcode: 0, suggest, label: 100, prob: 90 }],
    errcode: 0,
    errmsg: 'ok',
    result: { suggest, label: 100 },
  });
}

export function mediaCheckXml(traceId: string, suggest = 'pass'): string {
  return [
    '<xml>',
    '  <ToUserName><![CDATA[gh_6e306981e699]]></ToUserName>',
    '  <FromUserName><![CDATA[oeaTy0Ej7xM_LexOCWGeJtL4ABoE]]></FromUserName>',
    '  <CreateTime>1659967849</CreateTime>',
    '  <MsgType><![CDATA[event]]></MsgType>',
    '  <Event><![CDATA[wxa_media_check]]></Event>',
    '  <appid><![CDATA[wx12b4f63276b14d4c]]></appid>',
    `  <trace_id><![CDATA[${traceId}]]></trace_id>`,
    '  <version>2</version>',
    `  <detail><strategy><![CDATA[content_model]]></strategy><errcode>0</errcode><suggest><![CDATA[${suggest}]]></suggest><label>100</label><prob>90</prob></detail>`,
    '  <errcode>0</errcode>',
    '  <errmsg><![CDATA[ok]]></errmsg>',
    `  <result><suggest><![CDATA[${suggest}]]></suggest><label>100</label></result>`,
    '</xml>',
  ].join('\n');
}
