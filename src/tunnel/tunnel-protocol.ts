import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

/**
 * The frames of the dev tunnel, JSON text over one WebSocket. Bodies travel as
 * base64 so the listener gets the stored bytes exactly, whatever their encoding.
 */
export const TUNNEL_PROTOCOL_VERSION = 1;

/** Longest response excerpt a listener may send back; the relay keeps less. */
export const MAX_EXCERPT_CHARS = 4096;

/** Largest frame a listener may send; a bigger one closes that connection. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

/** Relay → listener: the tunnel is open under this name. */
export interface ReadyFrame {
  type: 'ready';
  name: string;
  version: number;
}

/** Relay → listener: one attempt of one delivery, to POST to the local server. */
export interface DeliveryFrame {
  type: 'delivery';
  /** Unique per attempt: the answer names it. */
  id: string;
  traceId: string;
  attempt: number;
  /** The tunnel URI's path (and query), '' or starting with '/'. */
  path: string;
  headers: Record<string, string>;
  bodyBase64: string;
  /** The relay records a timeout after this long; the listener should give up a little earlier. */
  timeoutMs: number;
}

export type RelayFrame = ReadyFrame | DeliveryFrame;

const ResultFrameSchema = Type.Object({
  type: Type.Literal('result'),
  id: Type.String({ minLength: 1, maxLength: 64 }),
  /** The local server's status, or null when it did not answer. */
  status: Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Null()]),
  durationMs: Type.Number({ minimum: 0, maximum: 86_400_000 }),
  /** The start of the local response body, already truncated by the listener. */
  excerpt: Type.Union([Type.String({ maxLength: MAX_EXCERPT_CHARS }), Type.Null()]),
  /** Why there is no status: `timeout` or `network_error`, with a message. */
  failure: Type.Union([
    Type.Object({ kind: Type.Union([Type.Literal('timeout'), Type.Literal('network_error')]), message: Type.String({ maxLength: 500 }) }),
    Type.Null(),
  ]),
  retryAfter: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
}, { additionalProperties: false });

/** Listener → relay: what the local server made of one delivery. */
export type ResultFrame = Static<typeof ResultFrameSchema>;

/** Reads a listener's frame; undefined when it is not a well-formed result. */
export function parseResultFrame(data: string): ResultFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  return Value.Check(ResultFrameSchema, value) ? value : undefined;
}

const DeliveryFrameSchema = Type.Object({
  type: Type.Literal('delivery'),
  id: Type.String({ minLength: 1 }),
  traceId: Type.String(),
  attempt: Type.Integer({ minimum: 1 }),
  path: Type.String(),
  headers: Type.Record(Type.String(), Type.String()),
  bodyBase64: Type.String(),
  timeoutMs: Type.Integer({ minimum: 1 }),
});

const ReadyFrameSchema = Type.Object({ type: Type.Literal('ready'), name: Type.String(), version: Type.Integer() });

/** Reads a relay frame on the listener's side; undefined for anything else. */
export function parseRelayFrame(data: string): RelayFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (Value.Check(DeliveryFrameSchema, value)) return value as DeliveryFrame;
  if (Value.Check(ReadyFrameSchema, value)) return value as ReadyFrame;
  return undefined;
}
