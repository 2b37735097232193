import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptRecord, IncomingCallback, RelayStore } from '../../src/storage/relay-store.ts';
import { getTrace, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { countRows, currentBackend } from '../helpers/test-backends.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DAY = 86_400_000;

/** Retention on the backend this run targets, through a running relay's own purge loop. */
describe(`retention on ${currentBackend()}`, () => {
  let relay: TestRelay;
  let store: RelayStore;
  const now = Date.now();
  const old = now - 31 * DAY;

  beforeAll(async () => {
    // The test plays worker and sweeper itself, at times long past, through the store;
    // only the relay's retention loop runs (it rides with the sweeper role).
    relay = await startRelay({ RELAY_RETENTION_DAYS: '30', RELAY_RETENTION_INTERVAL_MS: '100', RELAY_ROLES: 'api,sweeper' });
    await relay.app.sweeper?.stop();
    store = relay.app.store;
  });
  afterAll(async () => relay.close());

  const callback = (traceId: string): IncomingCallback => ({
    appId: 'default', correlationId: traceId, dedupeKey: `id:${traceId}`, event: 'event/wxa_media_check',
    contentType: 'application/json', body: `{"trace_id":"${traceId}"}`, fingerprint: traceId,
  });
  const ok: AttemptRecord = { startedAt: old, durationMs: 3, httpStatus: 200, outcome: 'success', errorMessage: null, responseExcerpt: 'ok' };

  /** Claims as a worker does: SKIP LOCKED may pass over a row the purge holds for a moment, so poll. */
  const claimFor = (traceId: string, at: number) => waitFor(async () =>
    (await store.claimDueDeliveries('old-worker', at, 60_000, 100)).find((claim) => claim.traceId === traceId), { what: `a claim for ${traceId}` });

  /** Plays a whole trace at time `at`: registered, pushed, delivered. */
  const deliveredAt = async (traceId: string, at: number) => {
    await store.register({ appId: 'default', traceId, serverUri: 'http://127.0.0.1:1/x', deadlineAt: at + 60_000 }, at);
    await store.ingestCallback(callback(traceId), at, at + 60_000);
    await store.completeAttempt(await claimFor(traceId, at), { ...ok, startedAt: at }, { kind: 'delivered' }, at);
  };

  it('purges delivered and timed-out traces past the retention period with everything that hangs off them', async () => {
    // Written long ago by the store directly, then left to the relay's purge loop.
    for (let index = 0; index < 130; index += 1) await deliveredAt(`old-${index}`, old);
    await store.register({ appId: 'default', traceId: 'old-timeout', serverUri: 'http://127.0.0.1:1/x', deadlineAt: old + 1 }, old);
    await store.expireOverdue(old + 2, 10);
    await store.completeAttempt(await claimFor('old-timeout', old + 2), ok, { kind: 'delivered' }, old + 3);
    // A stray: pushed long ago, never registered, its grace long over.
    await store.ingestCallback(callback('old-stray'), old, old + 1);
    await store.expireParked(old + 2, 10);

    await waitFor(async () => (await getTrace(relay, 'old-timeout')).status === 404 && (await getTrace(relay, 'old-129')).status === 404, { timeoutMs: 20_000, what: 'old traces purged' });
    expect((await getTrace(relay, 'old-0')).status).toBe(404);
    // Nothing hangs on: every row of every table is gone (the purge may still be finishing its pass).
    for (const table of ['relay_traces', 'relay_callbacks', 'relay_deliveries', 'relay_attempts']) {
      await waitFor(async () => (await countRows(relay.databaseUrl, table)) === 0, { timeoutMs: 10_000, what: `${table} empty (${await countRows(relay.databaseUrl, table)} left)` });
    }
    // The stray is gone too: registering it now adopts nothing.
    const registered = await store.register({ appId: 'default', traceId: 'old-stray', serverUri: 'http://127.0.0.1:1/x', deadlineAt: now + 60_000 }, now);
    expect(registered).toMatchObject({ kind: 'created', adoptedCallback: false });
  });

  it('keeps recent traces, traces still open, and failed traces', async () => {
    await deliveredAt('recent-1', now - 29 * DAY);
    // Registered long ago but never finished: still pending.
    await store.register({ appId: 'default', traceId: 'old-pending', serverUri: 'http://127.0.0.1:1/x', deadlineAt: now + DAY }, old);
    // Delivered long ago but failed: kept for whoever investigates.
    await store.register({ appId: 'default', traceId: 'old-failed', serverUri: 'http://127.0.0.1:1/x', deadlineAt: old + 60_000 }, old);
    await store.ingestCallback(callback('old-failed'), old, old + 60_000);
    await store.completeAttempt(await claimFor('old-failed', old), { ...ok, httpStatus: 500, outcome: 'http_error' }, { kind: 'failed', traceError: 'BIZ_SERVER_ERROR' }, old);
    await deliveredAt('old-marker', old);
    await waitFor(async () => (await getTrace(relay, 'old-marker')).status === 404, { timeoutMs: 20_000, what: 'a purge pass after these were written' });
    for (const id of ['recent-1', 'old-pending', 'old-failed']) expect((await getTrace(relay, id)).status).toBe(200);
    const recent = (await getTrace(relay, 'recent-1')).body;
    expect(recent.attempts).toHaveLength(1);
    expect(recent.callback).not.toBeNull();
  });

  it('purges routed events once all their deliveries have finished, and keeps one still being sent', async () => {
    const routed = (id: string): IncomingCallback => ({
      appId: 'default', correlationId: null, dedupeKey: `id:${id}`, event: 'event/subscribe_msg_sent_event',
      contentType: 'application/json', body: `{"id":"${id}"}`, fingerprint: id,
      routes: [{ route: 'ops', destination: 'http://127.0.0.1:1/ops' }, { route: 'audit', destination: 'http://127.0.0.1:1/audit' }],
    });
    await store.ingestCallback(routed('old-routed-done'), old, old + 1);
    await store.ingestCallback(routed('old-routed-open'), old + 1, old + 2);
    const claims = await waitFor(async () => {
      const found = (await store.claimDueDeliveries('old-worker', old + 5, 60_000, 100)).filter((claim) => claim.routeName !== null);
      return found.length >= 4 ? found : undefined;
    }, { what: 'the routed deliveries' });
    const [done, open] = await Promise.all(['old-routed-done', 'old-routed-open'].map(async (id) =>
      (await store.listCallbacks({ appId: 'default', state: 'routed', limit: 100 })).find((item) => item.body.includes(id))!));
    const byCallback = (callbackId: string) => claims.filter((claim) => claim.body!.includes(callbackId));
    for (const claim of claims.filter((item) => item.body!.includes('old-routed-done'))) {
      await store.completeAttempt(claim, { ...ok, startedAt: old + 5 }, { kind: 'delivered' }, old + 6);
    }
    // One of the other event's two deliveries is finished, one is still being retried.
    const [finished] = claims.filter((item) => item.body!.includes('old-routed-open'));
    await store.completeAttempt(finished!, { ...ok, startedAt: old + 5 }, { kind: 'delivered' }, old + 6);
    expect(byCallback('old-routed-done')).toHaveLength(2);
    await deliveredAt('old-marker-2', old);
    await waitFor(async () => (await getTrace(relay, 'old-marker-2')).status === 404, { timeoutMs: 20_000, what: 'a purge pass after these were written' });
    await waitFor(async () => (await store.getCallback(done!.id)) === undefined, { timeoutMs: 20_000, what: 'the finished routed event purged' });
    expect(await store.getCallback(open!.id)).toMatchObject({ id: open!.id });
  });
});
