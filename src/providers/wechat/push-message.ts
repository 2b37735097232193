import { RelayError } from '../../errors/relay-error.ts';
import { parseWechatXml } from './safe-xml.ts';

export type PushFormat = 'json' | 'xml';

/** A push as read: its format, its fields, and the exact text to forward. */
export interface PushMessage {
  format: PushFormat;
  fields: Record<string, unknown>;
  text: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a push body. The console's JSON/XML switch is not signalled in the
 * request, so the format is sniffed from the first non-blank byte.
 */
export function readPushBody(raw: Buffer): PushMessage {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new RelayError('INVALID_PUSH', 'the body is not valid UTF-8');
  }
  // A NUL never occurs in WeChat's JSON or XML, and some databases cannot store it.
  if (text.includes('\u0000')) throw new RelayError('INVALID_PUSH', 'the body contains a NUL character');
  const first = text.trimStart().charAt(0);
  if (first === '{') return { format: 'json', fields: parseJsonObject(text), text };
  if (first === '<') return { format: 'xml', fields: parseWechatXml(text), text };
  throw new RelayError('INVALID_PUSH', 'the body is neither a JSON object nor an XML document');
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    // The reviver costs more than the parse itself: only a run of 16 digits can be an unsafe integer.
    value = UNSAFE_INTEGER_CANDIDATE.test(text) ? JSON.parse(text, keepLargeIntegersExact) : JSON.parse(text);
  } catch (error) {
    throw new RelayError('INVALID_PUSH', `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RelayError('INVALID_PUSH', 'a JSON push must be an object');
  return value as Record<string, unknown>;
}

/**
 * WeChat's MsgId is a 64-bit integer sent as a JSON number; as a double it would
 * round, and two messages could share a dedupe key. Keep such numbers as their
 * source text (the forwarded body is the raw bytes, so nothing changes there).
 */
const UNSAFE_INTEGER_CANDIDATE = /\d{16}/;

function keepLargeIntegersExact(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source) return context.source;
  return value;
}

/** Reads a top-level field as text whatever type the format gave it. */
export function fieldText(fields: Record<string, unknown>, name: string): string | undefined {
  const value = fields[name];
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** The content type a business server's WeChat handler expects for this format. */
export function contentTypeOf(format: PushFormat): string {
  return format === 'json' ? 'application/json' : 'text/xml; charset=utf-8';
}

/**
 * Reads a field by dotted path (`SubscribeMsgSentEvent.List.MsgID`). A list of
 * one counts as its item: XML gives one element where JSON gives a one-item array.
 */
export function fieldAtPath(fields: Record<string, unknown>, path: string): string | undefined {
  const parts = path.split('.');
  let current: unknown = fields;
  for (const part of parts.slice(0, -1)) {
    const item = Array.isArray(current) && current.length === 1 ? current[0] : current;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
    current = (item as Record<string, unknown>)[part];
  }
  const parent = Array.isArray(current) && current.length === 1 ? current[0] : current;
  if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) return undefined;
  return fieldText(parent as Record<string, unknown>, parts.at(-1) ?? '');
}
