import { createHash } from 'node:crypto';
import { RelayError } from '../../errors/relay-error.ts';
import { fieldAtPath, fieldText, type PushMessage } from './push-message.ts';

/** Events keyed by an id a business server registers, with the field that carries it. */
export const DEFAULT_CORRELATION_FIELDS: Readonly<Record<string, string>> = {
  wxa_media_check: 'trace_id',
};

/** Fields that differ between WeChat's repeats of one push without changing its meaning. */
const VOLATILE_FIELDS = new Set(['CreateTime']);
const MAX_ID_LENGTH = 128;

export interface PushIdentity {
  /** `MsgType/Event` (e.g. `event/wxa_media_check`), or `MsgType` for messages. */
  event: string;
  correlationId: string | null;
  dedupeKey: string;
  fingerprint: string;
}

/**
 * Works out what a push is about and how to recognise a repeat of it. Media
 * checks are keyed by trace_id, never by FromUserName + CreateTime (two different
 * verdicts can share both); messages by MsgId; anything else by its content.
 */
export function identifyPush(message: PushMessage, correlationFields: Readonly<Record<string, string>> = DEFAULT_CORRELATION_FIELDS): PushIdentity {
  const msgType = fieldText(message.fields, 'MsgType') ?? 'unknown';
  const eventName = fieldText(message.fields, 'Event');
  const event = eventName ? `${msgType}/${eventName}` : msgType;
  const fingerprint = fingerprintOf(message.fields);
  // Own keys only: an Event named `constructor` must not find Object.prototype's.
  const correlationField = eventName && Object.hasOwn(correlationFields, eventName) ? correlationFields[eventName] : undefined;
  if (correlationField) {
    const id = fieldAtPath(message.fields, correlationField);
    if (!id) throw new RelayError('MISSING_TRACE_ID', `a ${eventName} push must carry ${correlationField}`);
    if (id.length > MAX_ID_LENGTH) throw new RelayError('INVALID_PUSH', `${correlationField} is longer than ${MAX_ID_LENGTH} characters`);
    return { event, correlationId: id, dedupeKey: `id:${id}`, fingerprint };
  }
  const msgId = fieldText(message.fields, 'MsgId');
  if (msgId && msgId.length <= MAX_ID_LENGTH) return { event, correlationId: null, dedupeKey: `msg:${msgId}`, fingerprint };
  return { event, correlationId: null, dedupeKey: `sha256:${fingerprint}`, fingerprint };
}

/** SHA-256 of the fields in a canonical order, volatile ones left out. */
export function fingerprintOf(fields: Record<string, unknown>): string {
  const stable = Object.fromEntries(Object.entries(fields).filter(([key]) => !VOLATILE_FIELDS.has(key)));
  return createHash('sha256').update(canonicalJson(stable)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  // Numbers and numeric strings compare equal: XML gives "100" where JSON gives 100.
  return JSON.stringify(typeof value === 'number' ? String(value) : value) ?? 'null';
}
