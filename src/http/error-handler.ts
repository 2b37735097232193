import type { FastifyError, FastifyInstance } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes.ts';
import { isRelayError } from '../errors/relay-error.ts';

/** Fastify's own errors that are the caller's fault, mapped to the relay's codes. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_VALIDATION: 'INVALID_REQUEST',
};

/** Fastify's wording is terse; say what to do instead. */
const FRIENDLY_MESSAGES: Partial<Record<ErrorCode, string>> = {
  INVALID_JSON: 'the body is not valid JSON',
  UNSUPPORTED_MEDIA_TYPE: 'send the body as application/json',
};

function codeOf(error: FastifyError): ErrorCode {
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return mapped;
  // The JSON parser's syntax errors carry status 400 and no code of their own.
  if (error.statusCode === 400 && error instanceof SyntaxError) return 'INVALID_JSON';
  if (error.statusCode === 413) return 'BODY_TOO_LARGE';
  if (error.statusCode === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return 'INVALID_REQUEST';
  return 'INTERNAL';
}

/**
 * Every error leaves as `{"error":{"code","message"}}`. 4xx messages tell the
 * caller what to fix; 5xx answers say nothing internal and the log says all.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isRelayError(error)) {
      if (error.statusCode >= 500) request.log.error({ err: error }, error.message);
      return reply.code(error.statusCode).headers(error.headers).send({ error: { code: error.code, message: error.message } });
    }
    const code = codeOf(error);
    const status = code === 'INTERNAL' ? 500 : ERROR_CODES[code].status;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(status).send({ error: { code, message: ERROR_CODES[code].description } });
    }
    if (code === 'BODY_TOO_LARGE') {
      return reply.code(status).send({ error: { code, message: `the body is larger than this endpoint accepts (${request.routeOptions.bodyLimit ?? 'the limit'} bytes)` } });
    }
    const message = FRIENDLY_MESSAGES[code] ?? error.message;
    return reply.code(status).send({ error: { code, message } });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` } });
  });
}
