import { createHash } from 'node:crypto';
import type { Source } from '../../config/config-schema.ts';
import { RelayError } from '../../errors/relay-error.ts';
import type { RouteTarget } from '../../model/route-target.ts';
import { valueAtPath } from './id-path.ts';
import { openAliyunPush, openWecomPush, type OpenedDocument, type Query } from './encrypted-and-form-kinds.ts';
import { messageIdOf, verifySourcePush, type Headers } from './source-signature.ts';

const MAX_ID_LENGTH = 128;

/** A genuine push, ready to store: as received, with what names its trace and its repeats. */
export interface OpenedSourcePush {
  kind: 'push';
  correlationId: string | null;
  dedupeKey: string;
  fingerprint: string;
  event: string;
  contentType: string;
  body: string;
  routes: RouteTarget[];
}

/** A URL handshake: answered at once, never stored. */
export interface SourceHandshake {
  kind: 'handshake';
  contentType: string;
  body: string;
}

function eventOf(source: Source, document: Record<string, unknown>): string {
  const named = [document.event, document.type, document.eventType, document.Event, document.MsgType].find((item) => typeof item === 'string' && item !== '');
  return `${source.kind}/${String(named ?? 'push').slice(0, 96)}`;
}

function headerText(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A JSON kind's push, once its signature over the raw bytes holds. */
function openJsonPush(source: Source, headers: Headers, raw: Buffer, nowMs: number): OpenedDocument {
  verifySourcePush(source, headers, raw, nowMs);
  const text = raw.toString('utf8');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new RelayError('INVALID_PUSH', `a ${source.kind} push must be JSON`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new RelayError('INVALID_PUSH', `a ${source.kind} push must be a JSON object`);
  return { document: document as Record<string, unknown>, text, contentType: headerText(headers, 'content-type') ?? 'application/json' };
}

function openDocument(source: Source, headers: Headers, query: Query, raw: Buffer, nowMs: number): OpenedDocument {
  if (source.kind === 'wecom') return openWecomPush(source, query, raw);
  if (source.kind === 'aliyun-green') return openAliyunPush(source, headerText(headers, 'content-type'), raw);
  return openJsonPush(source, headers, raw, nowMs);
}

/**
 * Verifies a source's push over its raw bytes (decrypting WeCom's), answers its handshake,
 * and names the id a business server registered (at `idPath`). A repeat is recognised by
 * the kind's message id where it has one, else by the hash of the push as opened (the
 * decrypted document for WeCom, whose retries may be encrypted afresh): one id may carry
 * several pushes (each change of a WeCom approval comes under its SpNo), each forwarded.
 */
export function openSourcePush(source: Source, headers: Headers, query: Query, raw: Buffer, nowMs: number): OpenedSourcePush | SourceHandshake {
  const { document, text, contentType } = openDocument(source, headers, query, raw, nowMs);
  const fields = document;
  if (source.kind === 'douyin' && fields.event === 'verify_webhook') {
    const content = fields.content as { challenge?: unknown } | undefined;
    return { kind: 'handshake', contentType: 'application/json', body: JSON.stringify({ challenge: content?.challenge ?? null }) };
  }
  const id = valueAtPath(document, source.idPath);
  // eslint-disable-next-line no-control-regex
  if (id !== undefined && (id.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id))) throw new RelayError('INVALID_PUSH', `the id at ${source.idPath} is longer than ${MAX_ID_LENGTH} characters or holds control characters`);
  const fingerprint = createHash('sha256').update(text).digest('hex');
  const messageId = messageIdOf(source, headers) ?? (typeof fields.MsgId === 'string' ? fields.MsgId : undefined);
  const dedupeKey = messageId && messageId.length <= MAX_ID_LENGTH ? `msg:${messageId}` : `sha256:${fingerprint}`;
  const base = { kind: 'push' as const, fingerprint, dedupeKey, event: eventOf(source, fields), contentType, body: text };
  if (id !== undefined) return { ...base, correlationId: id, routes: [] };
  return { ...base, correlationId: null, routes: (source.destinations ?? []).map((destination) => ({ route: source.name, destination })) };
}
