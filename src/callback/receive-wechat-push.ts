import { RelayError } from '../errors/relay-error.ts';
import { routeEvent } from '../providers/wechat/event-routes.ts';
import { openPush, type PushAuthPolicy, type PushQuery } from '../providers/wechat/open-push.ts';
import { identifyPush } from '../providers/wechat/push-identity.ts';
import { contentTypeOf } from '../providers/wechat/push-message.ts';
import type { EndpointApp } from '../providers/wechat/wechat-apps.ts';
import type { IngestOutcome } from '../storage/relay-store.ts';
import { withTimeout } from '../time/with-timeout.ts';
import { ingestPush, type IngestDeps } from './ingest-push.ts';

/**
 * One WeChat push, top to bottom: verify and open it (a typed 4xx error when it is
 * not genuine), name its trace or route it, store it durably and hand its delivery
 * to the worker. Resolves once the push is stored; only then may WeChat hear
 * `success`. A store that does not answer within `storageDeadlineMs` is
 * STORAGE_UNAVAILABLE (503), so WeChat retries instead of giving up.
 */
export async function receiveWechatPush(deps: IngestDeps, app: EndpointApp, query: PushQuery, raw: Buffer, policy: Omit<PushAuthPolicy, 'now'> & { storageDeadlineMs: number }): Promise<IngestOutcome> {
  // What is stored and forwarded is the plain-mode message, decrypted when it came encrypted.
  const { message } = openPush(app, query, raw, { ...policy, now: deps.clock.now() });
  const identity = identifyPush(message, app.correlation);
  const routes = identity.correlationId === null ? routeEvent(app.routes, message) : [];
  try {
    return await withTimeout(ingestPush(deps, {
      appId: app.appId,
      correlationId: identity.correlationId,
      dedupeKey: identity.dedupeKey,
      event: identity.event,
      contentType: contentTypeOf(message.format),
      body: message.text,
      fingerprint: identity.fingerprint,
      routes,
    }), policy.storageDeadlineMs);
  } catch (error) {
    deps.logger.error({ err: error, app_id: app.appId, trace_id: identity.correlationId }, 'push not stored; answering 503 so WeChat retries');
    throw new RelayError('STORAGE_UNAVAILABLE', 'the push could not be stored; retry later', { 'retry-after': '1' });
  }
}
