import { randomUUID } from 'node:crypto';
import type { PushFormat } from '../providers/wechat/push-message.ts';

type Fields = Record<string, unknown>;

/** Writes fields the way WeChat's XML pushes look: text in CDATA, numbers bare, lists as repeated elements. */
export function toWechatXml(fields: Fields): string {
  return `<xml>${xmlFields(fields)}</xml>`;
}

function xmlFields(fields: Fields): string {
  return Object.entries(fields).map(([name, value]) => xmlElement(name, value)).join('');
}

function xmlElement(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => xmlElement(name, item)).join('');
  if (typeof value === 'number' || typeof value === 'bigint') return `<${name}>${value}</${name}>`;
  if (typeof value === 'object' && value !== null) return `<${name}>${xmlFields(value as Fields)}</${name}>`;
  // `]]>` cannot sit inside one CDATA section: split it across two.
  return `<${name}><![CDATA[${String(value ?? '').replaceAll(']]>', ']]]]><![CDATA[>')}]]></${name}>`;
}

/** A message in the app's format: JSON as WeChat sends it (compact), or WeChat-style XML. */
export function formatEvent(format: PushFormat, fields: Fields): string {
  return format === 'json' ? JSON.stringify(fields) : toWechatXml(fields);
}

export interface MediaCheckSample {
  appId: string;
  traceId?: string;
  suggest?: 'pass' | 'risky' | 'review';
  label?: number;
  /** The mini program's `gh_…` user name. */
  toUserName?: string;
  createTime?: number;
}

/** A version-2 `wxa_media_check` push with the fields of the official example. */
export function mediaCheckEvent(sample: MediaCheckSample): Fields {
  const suggest = sample.suggest ?? 'pass';
  const label = sample.label ?? (suggest === 'pass' ? 100 : 20002);
  return {
    ToUserName: sample.toUserName ?? 'gh_9df7d78a1234',
    FromUserName: 'o4_t144jTUSEoxydysUA2E234_tc',
    CreateTime: sample.createTime ?? Math.floor(Date.now() / 1000),
    MsgType: 'event',
    Event: 'wxa_media_check',
    appid: sample.appId,
    trace_id: sample.traceId ?? randomUUID(),
    version: 2,
    detail: [{ strategy: 'content_model', errcode: 0, suggest, label, prob: 90 }],
    errcode: 0,
    errmsg: 'ok',
    result: { suggest, label },
  };
}

/** Any other event (`subscribe_msg_sent_event`, `debug_demo`, …) with extra fields. */
export function genericEvent(event: string, extra: Fields = {}, toUserName = 'gh_9df7d78a1234'): Fields {
  return { ToUserName: toUserName, FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY', CreateTime: Math.floor(Date.now() / 1000), MsgType: 'event', Event: event, ...extra };
}
