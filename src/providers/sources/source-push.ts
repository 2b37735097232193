import { createHash } from 'node:crypto';
import type { Source } from '../../config/config-schema.ts';
import { RelayError } from '../../errors/relay-error.ts';
import type { RouteTarget } from '../../model/route-target.ts';
import { valueAtPath } from './id-path.ts';
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
  const named = [document.event, document.type, document.eventType].find((item) => typeof item === 'string' && item !== '');
  return `${source.kind}/${String(named ?? 'push').slice(0, 96)}`;
}

/**
 * Verifies a source's push over its raw bytes, answers its handshake, and names the id a
 * business server registered (at `idPath`). A repeat is recognised by the id where there
 * is one, else by the kind's message id, else by the body's hash.
 */
export function openSourcePush(source: Source, headers: Headers, raw: Buffer, nowMs: number): OpenedSourcePush | SourceHandshake {
  verifySourcePush(source, headers, raw, nowMs);
  const text = raw.toString('utf8');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new RelayError('INVALID_PUSH', `a ${source.kind} push must be JSON`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new RelayError('INVALID_PUSH', `a ${source.kind} push must be a JSON object`);
  const fields = document as Record<string, unknown>;
  if (source.kind === 'douyin' && fields.event === 'verify_webhook') {
    const content = fields.content as { challenge?: unknown } | undefined;
    return { kind: 'handshake', contentType: 'application/json', body: JSON.stringify({ challenge: content?.challenge ?? null }) };
  }
  const id = valueAtPath(document, source.idPath);
  // eslint-disable-next-line no-control-regex
  if (id !== undefined && (id.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id))) throw new RelayError('INVALID_PUSH', `the id at ${source.idPath} is longer than ${MAX_ID_LENGTH} characters or holds control characters`);
  const fingerprint = createHash('sha256').update(raw).digest('hex');
  const contentType = (Array.isArray(headers['content-type']) ? headers['content-type'][0] : headers['content-type']) ?? 'application/json';
  const base = { kind: 'push' as const, fingerprint, event: eventOf(source, fields), contentType, body: text };
  if (id !== undefined) return { ...base, correlationId: id, dedupeKey: `id:${id}`, routes: [] };
  const messageId = messageIdOf(source, headers);
  return {
    ...base,
    correlationId: null,
    dedupeKey: messageId && messageId.length <= MAX_ID_LENGTH ? `msg:${messageId}` : `sha256:${fingerprint}`,
    routes: (source.destinations ?? []).map((destination) => ({ route: source.name, destination })),
  };
}
