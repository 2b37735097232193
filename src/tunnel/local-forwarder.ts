import { request, type Dispatcher } from 'undici';
import type { DeliveryFrame, ResultFrame } from './tunnel-protocol.ts';

/** Bytes of the local answer sent back for the attempt log; the rest is read and dropped. */
export const LOCAL_EXCERPT_BYTES = 1024;

/** `--forward-to` plus the tunnel URI's path and query. */
export function joinForwardUrl(base: string, path: string): string {
  if (!path) return base;
  const url = new URL(base);
  const queryAt = path.indexOf('?');
  const pathname = queryAt === -1 ? path : path.slice(0, queryAt);
  url.pathname = url.pathname.replace(/\/$/, '') + pathname;
  if (queryAt !== -1) for (const [key, value] of new URLSearchParams(path.slice(queryAt + 1))) url.searchParams.append(key, value);
  return url.toString();
}

/**
 * POSTs one delivery to the local server with the bytes and headers a direct
 * delivery carries, and sums up the answer for the relay. The local server is cut
 * a little before the relay's own attempt timeout, so the relay hears why.
 */
export async function forwardLocally(frame: DeliveryFrame, forwardTo: string, stop: AbortSignal, dispatcher?: Dispatcher): Promise<ResultFrame> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const localTimeoutMs = Math.max(50, frame.timeoutMs - Math.min(1000, Math.floor(frame.timeoutMs / 10)));
  try {
    const response = await request(joinForwardUrl(forwardTo, frame.path), {
      method: 'POST',
      headers: frame.headers,
      body: Buffer.from(frame.bodyBase64, 'base64'),
      signal: AbortSignal.any([AbortSignal.timeout(localTimeoutMs), stop]),
      ...(dispatcher ? { dispatcher } : {}),
    });
    const excerpt = await readExcerpt(response.body);
    const retryAfter = response.headers['retry-after'];
    return {
      type: 'result', id: frame.id, status: response.statusCode, durationMs: elapsed(), excerpt, failure: null,
      retryAfter: (Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null,
    };
  } catch (error) {
    const isTimeout = (error as Error).name === 'TimeoutError';
    const message = isTimeout ? `the local server did not answer within ${localTimeoutMs} ms` : describe(error);
    return { type: 'result', id: frame.id, status: null, durationMs: elapsed(), excerpt: null, failure: { kind: isTimeout ? 'timeout' : 'network_error', message: message.slice(0, 500) } };
  }
}

/** Keeps the first bytes of a huge answer and drops the connection rather than read it all. */
async function readExcerpt(body: Dispatcher.ResponseData['body']): Promise<string | null> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    chunks.push(buffer.subarray(0, LOCAL_EXCERPT_BYTES - kept));
    kept += Math.min(buffer.length, LOCAL_EXCERPT_BYTES - kept);
    if (kept >= LOCAL_EXCERPT_BYTES) {
      body.destroy();
      break;
    }
  }
  if (kept === 0) return null;
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return [code ?? cause?.code, cause?.message ?? message].filter(Boolean).join(': ') || 'network error';
}
