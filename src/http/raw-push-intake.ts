import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isRelayError } from '../errors/relay-error.ts';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';

/**
 * What every push endpoint of a scope shares: the body arrives as raw bytes (signatures
 * cover the exact bytes, and a provider's content type is no guide to parse by), and a
 * refused push is counted and logged, since the provider never shows the answer to anyone.
 */
export function takeRawPushes(scope: FastifyInstance, options: {
  bodyLimitBytes: number;
  metrics: RelayMetrics;
  /** The app or source the refused request was for, for the log line. */
  appIdOf: (request: FastifyRequest) => string | null;
  /** Extra fields for the log line of one kind of refusal. */
  detailOf?: (error: Error) => Record<string, unknown>;
}): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes }, (_request, body, done) => done(null, body));
  scope.addHook('onError', async (request, _reply, error) => {
    if (isRelayError(error) && error.statusCode >= 500) return;
    const code = isRelayError(error) ? error.code : 'INVALID_REQUEST';
    options.metrics.pushes.inc({ outcome: 'rejected' });
    options.metrics.pushesRefused.inc({ code });
    request.log.warn({ app_id: options.appIdOf(request), code, reason: error.message, ...options.detailOf?.(error) }, 'push refused');
  });
}
