import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Source } from '../config/config-schema.ts';

/** A push as the source's provider would send it: the body and the headers that sign it. */
export interface SimulatedSourcePush {
  body: string;
  headers: Record<string, string>;
}

/** A JSON body carrying `id` at the source's idPath (numbers in the path make arrays). */
export function sampleSourceBody(idPath: string, id: string): string {
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
  switch (source.kind) {
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
  return { body, headers };
}
