import { XMLParser } from 'fast-xml-parser';

/** One strategy's verdict inside a media check. */
export interface MediaCheckDetail {
  strategy: string;
  errcode: number;
  suggest?: 'pass' | 'review' | 'risky';
  label?: number;
  prob?: number;
}

/** WeChat's `wxa_media_check` push (mediaCheckAsync, version 2), as the relay forwards it. */
export interface MediaCheckResult {
  ToUserName: string;
  FromUserName: string;
  CreateTime: number;
  MsgType: 'event';
  Event: 'wxa_media_check';
  appid: string;
  trace_id: string;
  version: number;
  detail: MediaCheckDetail[];
  errcode: number;
  errmsg: string;
  result: { suggest: 'pass' | 'review' | 'risky'; label: number };
}

/** The relay's notice that no verdict came before the deadline. */
export interface TimeoutNotice {
  type: 'callback.timeout';
  trace_id: string;
  error: 'WX_TIMEOUT_ERROR';
  [field: string]: unknown;
}

interface Common {
  traceId: string;
  /** x-relay-delivery-id (or webhook-id): the same on every retry of one delivery. Deduplicate on it. */
  deliveryId: string | undefined;
  attempt: number;
}

export type ForwardedEvent =
  | (Common & { kind: 'media_check'; isLate: boolean; result: MediaCheckResult })
  | (Common & { kind: 'callback'; isLate: boolean; event: string; body: Record<string, unknown> })
  | (Common & { kind: 'timeout'; notice: TimeoutNotice });

export class ForwardedEventError extends Error {}

type Headers = Record<string, string | string[] | undefined>;
const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** WeChat's XML is flat; nothing is expanded (no entities, no DOCTYPE). */
const xml = new XMLParser({ processEntities: false, ignoreDeclaration: true, parseTagValue: true, isArray: (name) => name === 'detail' });

function parseBody(text: string, contentType: string): Record<string, unknown> {
  try {
    if (contentType.includes('xml') || text.trimStart().startsWith('<')) {
      if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new ForwardedEventError('XML with a DOCTYPE or entity is refused');
      const root = (xml.parse(text) as { xml?: Record<string, unknown> }).xml;
      if (!root) throw new ForwardedEventError('XML body has no <xml> root');
      return root;
    }
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ForwardedEventError('body is not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ForwardedEventError) throw error;
    throw new ForwardedEventError(`body cannot be read: ${(error as Error).message}`);
  }
}

/**
 * Reads a request the relay forwarded into a typed event: a media check verdict,
 * another provider callback, or the relay's timeout notice. Verify the signature
 * first (verifyWebhookSignature) when the relay signs.
 */
export function parseForwardedEvent(headers: Headers, rawBody: Buffer | string): ForwardedEvent {
  const relayEvent = first(headers['x-relay-event']);
  const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  const body = parseBody(text, first(headers['content-type']) ?? '');
  const common = {
    traceId: first(headers['x-relay-trace-id']) ?? String(body.trace_id ?? ''),
    deliveryId: first(headers['x-relay-delivery-id']) ?? first(headers['webhook-id']),
    attempt: Number(first(headers['x-relay-attempt']) ?? 1),
  };
  if (relayEvent === 'callback.timeout' || body.type === 'callback.timeout') {
    return { ...common, kind: 'timeout', notice: body as TimeoutNotice };
  }
  if (relayEvent !== undefined && relayEvent !== 'callback.received') throw new ForwardedEventError(`unknown x-relay-event ${relayEvent}`);
  const isLate = first(headers['x-relay-late']) === 'true';
  if (body.Event === 'wxa_media_check') return { ...common, kind: 'media_check', isLate, result: body as unknown as MediaCheckResult };
  return { ...common, kind: 'callback', isLate, event: String(body.Event ?? body.type ?? 'unknown'), body };
}
