import type { Source } from '../config/config-schema.ts';
import { RelayError } from '../errors/relay-error.ts';
import { openSourcePush, type SourceHandshake } from '../providers/sources/source-push.ts';
import type { Headers } from '../providers/sources/source-signature.ts';
import type { Query } from '../providers/sources/encrypted-and-form-kinds.ts';
import type { IngestOutcome } from '../storage/relay-store.ts';
import { withTimeout } from '../time/with-timeout.ts';
import { ingestPush, type IngestDeps } from './ingest-push.ts';

/**
 * One push of another provider, as a WeChat push: verified over its raw bytes (401 when
 * not genuine), its id named, stored durably with its delivery before the provider hears
 * its answer. A handshake is answered without storing anything.
 */
export async function receiveSourcePush(deps: IngestDeps, source: Source, request: { headers: Headers; query: Query; raw: Buffer }, storageDeadlineMs: number): Promise<{ outcome: IngestOutcome } | SourceHandshake> {
  const opened = openSourcePush(source, request.headers, request.query, request.raw, deps.clock.now());
  if (opened.kind === 'handshake') return opened;
  try {
    const outcome = await withTimeout(ingestPush(deps, {
      appId: source.name,
      correlationId: opened.correlationId,
      dedupeKey: opened.dedupeKey,
      event: opened.event,
      contentType: opened.contentType,
      body: opened.body,
      fingerprint: opened.fingerprint,
      routes: opened.routes,
    }), storageDeadlineMs);
    return { outcome };
  } catch (error) {
    deps.logger.error({ err: error, app_id: source.name, trace_id: opened.correlationId }, 'push not stored; answering 503 so the provider retries');
    throw new RelayError('STORAGE_UNAVAILABLE', 'the push could not be stored; retry later', { 'retry-after': '1' });
  }
}
