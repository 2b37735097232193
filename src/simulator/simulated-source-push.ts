import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Source } from '../config/config-schema.ts';
import { decodeEncodingAesKey } from '../providers/wechat/aes-key.ts';
import { encryptMessage } from '../providers/wechat/message-cipher.ts';
import { sha1Sorted } from '../providers/wechat/signature.ts';

/** A push as the source's provider would send it: the body and the headers that sign it. */
export interface SimulatedSourcePush {
  body: string;
  headers: Record<string, string>;
  /** WeCom signs in the query string. */
  query: Record<string, string>;
}

/** A body of the kind's format carrying `id` at the source's idPath: XML for wecom, a form for aliyun-green, else JSON. */
export function sampleSourceBody(source: Pick<Source, 'idPath' | 'kind'>, id: string): string {
  const json = sampleJson(source.idPath, id);
  if (source.kind === 'wecom') return `<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[sys_approval_change]]></Event>${toXml(JSON.parse(json) as Record<string, unknown>)}</xml>`;
  if (source.kind === 'aliyun-green') {
    const [head, ...rest] = source.idPath.split('.');
    return new URLSearchParams({ [head!]: rest.length > 0 ? sampleJson(rest.join('.'), id) : id }).toString();
  }
  return json;
}

function toXml(fields: Record<string, unknown>): string {
  return Object.entries(fields).map(([key, value]) => `<${key}>${typeof value === 'object' && value !== null ? toXml(value as Record<string, unknown>) : `<![CDATA[${String(value)}]]>`}</${key}>`).join('');
}

function sampleJson(idPath: string, id: string): string {
  const steps = idPath.split('.');
  const build = (index: number): unknown => {
    if (index === steps.length) return id;
    const step = steps[index]!;
    const inner = build(index + 1);
    if (/^\d+$/.test(step)) return Object.assign(Array.from({ length: Number(step) + 1 }, () => ({})), { [Number(step)]: inner });
    return { [step]: inner };
  };
  return JSON.stringify({ ...(build(0) as object), simulated: true });
}

/** Signs `body` the way the provider of this kind does. */
export function signSourcePush(source: Source, body: string, now = new Date()): SimulatedSourcePush {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const query: Record<string, string> = {};
  switch (source.kind) {
    case 'wecom': {
      const encrypt = encryptMessage(decodeEncodingAesKey(source.encodingAesKey!), body, source.corpId!);
      const timestamp = String(Math.floor(now.getTime() / 1000));
      const nonce = String(randomBytes(4).readUInt32BE());
      Object.assign(query, { msg_signature: sha1Sorted([source.token!, timestamp, nonce, encrypt]), timestamp, nonce });
      headers['content-type'] = 'text/xml';
      return { body: `<xml><ToUserName><![CDATA[${source.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[1]]></AgentID></xml>`, headers, query };
    }
    case 'aliyun-green': {
      const fields = new URLSearchParams(body);
      const content = fields.get('content') ?? '';
      fields.set('checksum', createHash('sha256').update(`${source.uid}${source.seed}${content}`).digest('hex'));
      headers['content-type'] = 'application/x-www-form-urlencoded';
      return { body: fields.toString(), headers, query };
    }
    case 'hmac':
      headers[source.header!.toLowerCase()] = `${source.prefix ?? ''}${createHmac(source.algorithm!, source.secret!).update(body).digest(source.encoding!)}`;
      break;
    case 'standard-webhooks': {
      const id = `msg_${randomBytes(8).toString('hex')}`;
      const timestamp = String(Math.floor(now.getTime() / 1000));
      const signature = createHmac('sha256', Buffer.from(source.secret!.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64');
      Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` });
      break;
    }
    case 'tencent-cloud':
      headers['x-signature'] = createHash('sha256').update(source.seed!).update(body).digest('hex');
      break;
    case 'douyin':
      headers['x-douyin-signature'] = createHash('sha1').update(source.secret!).update(body).digest('hex');
      break;
  }
  return { body, headers, query };
}
