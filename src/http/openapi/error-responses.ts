import Type, { type TSchema } from 'typebox';
import { ERROR_CODES, type ErrorCode } from '../../errors/error-codes.ts';

/** The body of every error answer, with `code` narrowed to the codes a route can answer. */
export function errorBodySchema(codes: readonly ErrorCode[]): TSchema {
  return Type.Object({
    error: Type.Object({
      code: Type.Enum([...codes], { description: codes.map((code) => `\`${code}\`: ${ERROR_CODES[code].description}`).join('\n') }),
      message: Type.String({ description: 'What went wrong and what to do; safe to show.' }),
    }),
  }, { description: 'Error' });
}

/** Codes every route can answer: the relay failed. */
const ALWAYS: readonly ErrorCode[] = ['INTERNAL'];
/** Codes of routes behind the access guard. */
export const GUARDED: readonly ErrorCode[] = ['UNAUTHORIZED', 'FORBIDDEN', 'CROSS_ORIGIN_REFUSED'];

/**
 * Response entries for the error codes a route answers with, grouped under the
 * HTTP status the registry gives each code, so the document cannot disagree with
 * what the error handler sends.
 */
export function errorResponses(codes: readonly ErrorCode[]): Record<string, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...codes, ...ALWAYS])) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].map(([status, group]) => [String(status), errorBodySchema(group)]));
}

/** The guard's requirement, as OpenAPI states it: a Bearer key (or loopback only when none are configured). */
export const GUARDED_SECURITY = [{ apiKey: [] }];
