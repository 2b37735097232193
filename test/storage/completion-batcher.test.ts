import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompletionBatcher } from '../../src/delivery/completion-batcher.ts';
import { openStore } from '../../src/storage/open-store.ts';
import type { AttemptCompletion, AttemptRecord, RelayStore } from '../../src/storage/relay-store.ts';
import { createBackendDatabase } from '../helpers/relay-harness.ts';
import { currentBackend } from '../helpers/test-backends.ts';

/** Finished attempts recorded many to a transaction, on the backend this run targets. */
describe(`CompletionBatcher on ${currentBackend()}`, () => {
  let store: RelayStore;
  let drop: () => Promise<void>;
  const now = 1_800_000_000_000;
  const ok: AttemptRecord = { startedAt: now, durationMs: 4, httpStatus: 200, outcome: 'success', errorMessage: null, responseExcerpt: 'ok' };

  beforeAll(async () => {
    const database = await createBackendDatabase();
    drop = database.drop;
    store = openStore({ databaseUrl: database.url, sqliteSynchronous: 'normal', dbPoolMax: 4 });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  it('records attempts that finish together in few transactions, each caller told its own verdict', async () => {
    const count = 60;
    for (let i = 0; i < count; i += 1) {
      const traceId = `batched-${i}`;
      await store.register({ appId: 'app', traceId, serverUri: `http://127.0.0.1:1/${traceId}`, deadlineAt: now + 60_000 }, now);
      await store.ingestCallback({ appId: 'app', correlationId: traceId, dedupeKey: `id:${traceId}`, event: 'event/wxa_media_check', contentType: 'application/json', body: '{}', fingerprint: 'f' }, now, now + 60_000);
    }
    const claims = await store.claimDueDeliveries('w', now, 30_000, count);
    expect(claims).toHaveLength(count);
    const batches: number[] = [];
    // The real store, counted: how many transactions the batcher asked for, and how large.
    const counted = { completeAttempts: (completions: readonly AttemptCompletion[], at: number) => {
      batches.push(completions.length);
      return store.completeAttempts(completions, at);
    } };
    const batcher = new CompletionBatcher(counted, { now: () => now + 10 });
    const applied = await Promise.all(claims.map((claim) => batcher.complete({ claim, record: ok, verdict: { kind: 'delivered' } })));
    expect(applied.every(Boolean)).toBe(true);
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(count);
    expect(batches.length).toBeLessThanOrEqual(2);
    for (const claim of claims.slice(0, 5)) expect(await store.getTrace('app', claim.traceId!)).toMatchObject({ status: 'delivered' });
    // A completion of a delivery already completed: recorded, not applied.
    expect(await batcher.complete({ claim: claims[0]!, record: ok, verdict: { kind: 'delivered' } })).toBe(false);
  });

  it('rejects every caller of a batch that could not be written, and goes on with the next', async () => {
    let failNext = true;
    const flaky = { completeAttempts: (completions: readonly AttemptCompletion[], at: number) => {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error('database away'));
      }
      return store.completeAttempts(completions, at);
    } };
    const batcher = new CompletionBatcher(flaky, { now: () => now });
    const claim = (await store.claimDueDeliveries('w', now, 30_000, 1))[0];
    expect(claim).toBeUndefined();
    const unknown: AttemptCompletion = { claim: { id: 'missing', tracePk: null, appId: 'app', traceId: null, routeName: null, kind: 'routed', destination: 'http://127.0.0.1:1/', contentType: 'application/json', body: '{}', isLate: false, attempt: 1, leaseOwner: 'w', createdAt: now }, record: ok, verdict: { kind: 'delivered' } };
    await expect(batcher.complete(unknown)).rejects.toThrow('database away');
    // The next batch is written: the attempt is recorded, and a delivery that does not exist is not applied.
    expect(await batcher.complete(unknown)).toBe(false);
  });
});
