import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { ForwardedEventError, parseForwardedEvent, type ForwardedEvent } from './forwarded-event.ts';
import { WebhookVerificationError, verifyWebhookSignature } from './verify-signature.ts';

export interface ReceiverOptions {
  /** The relay's RELAY_SIGNING_SECRET; when absent, signatures are not checked (trusted networks only). */
  secrets?: string | readonly string[];
  /** Timestamp tolerance, seconds. Default 300. */
  toleranceS?: number;
  /** Largest body read, bytes. Default 1 MiB (the relay's push limit). */
  maxBodyBytes?: number;
}

type Headers = Record<string, string | string[] | undefined>;

/** Verifies (when secrets are given) and parses one forwarded request. */
export function receiveForwarded(headers: Headers, rawBody: Buffer | string, options: ReceiverOptions): ForwardedEvent {
  if (options.secrets !== undefined) verifyWebhookSignature(headers, rawBody, { secrets: options.secrets, toleranceS: options.toleranceS });
  return parseForwardedEvent(headers, rawBody);
}

/** The answer a refused request gets: 401 for a bad signature, 400 for an unreadable body. */
export function refusalOf(error: unknown): { status: number; body: { error: { code: string; message: string } } } | undefined {
  if (error instanceof WebhookVerificationError) return { status: 401, body: { error: { code: 'SIGNATURE_INVALID', message: error.message } } };
  if (error instanceof ForwardedEventError) return { status: 400, body: { error: { code: 'INVALID_EVENT', message: error.message } } };
  return undefined;
}

/** Reads a request's bytes when no body parser has (the signature needs the exact bytes). */
export async function readRawBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new ForwardedEventError(`body larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function rawFrom(parsed: unknown): Buffer | string | undefined {
  if (Buffer.isBuffer(parsed) || typeof parsed === 'string') return parsed;
  return undefined;
}

type ExpressRequest = IncomingMessage & { body?: unknown; relayEvent?: ForwardedEvent };
type ExpressResponse = ServerResponse & { status(code: number): { json(body: unknown): void } };

/**
 * Express middleware: sets `req.relayEvent`. Mount it before any JSON body parser on
 * the route (or after `express.raw()`), so the exact bytes are there to verify.
 */
export function relayExpress(options: ReceiverOptions = {}) {
  return (request: ExpressRequest, response: ExpressResponse, next: (error?: unknown) => void): void => {
    const raw = rawFrom(request.body);
    const body = raw === undefined ? readRawBody(request, options.maxBodyBytes ?? 1_048_576) : Promise.resolve(raw);
    body.then((bytes) => {
      request.relayEvent = receiveForwarded(request.headers, bytes, options);
      next();
    }).catch((error: unknown) => {
      const refusal = refusalOf(error);
      if (refusal) response.status(refusal.status).json(refusal.body);
      else next(error);
    });
  };
}

interface KoaContext {
  req: IncomingMessage;
  request: { rawBody?: string; headers: Headers };
  state: Record<string, unknown>;
  status: number;
  body: unknown;
}

/** Koa middleware: sets `ctx.state.relayEvent`. Uses `ctx.request.rawBody` when a body parser kept it. */
export function relayKoa(options: ReceiverOptions = {}) {
  return async (ctx: KoaContext, next: () => Promise<unknown>): Promise<void> => {
    try {
      const bytes = ctx.request.rawBody ?? await readRawBody(ctx.req, options.maxBodyBytes ?? 1_048_576);
      ctx.state.relayEvent = receiveForwarded(ctx.request.headers, bytes, options);
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      ctx.status = refusal.status;
      ctx.body = refusal.body;
      return;
    }
    await next();
  };
}

export interface FastifyReceiverOptions extends ReceiverOptions {
  /** Route path, e.g. `/wx/media-check`. */
  path: string;
  /** Handles one event; a throw makes the relay retry. */
  handle(event: ForwardedEvent): Promise<void> | void;
}

/**
 * Fastify plugin: `app.register(relayFastify, { path, secrets, handle })`. Registers the
 * route in its own scope with a raw-body parser, so the rest of the app keeps its parsers.
 */
export const relayFastify: FastifyPluginAsync<FastifyReceiverOptions> = async (fastify, options) => {
  for (const type of ['application/json', 'application/xml', 'text/xml', '*']) {
    fastify.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: options.maxBodyBytes ?? 1_048_576 }, (_request, body, done) => done(null, body));
  }
  fastify.post(options.path, async (request, reply) => {
    let event: ForwardedEvent;
    try {
      event = receiveForwarded(request.headers as Headers, rawFrom(request.body) ?? '', options);
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      return reply.code(refusal.status).send(refusal.body);
    }
    await options.handle(event);
    return reply.code(200).send('ok');
  });
};
