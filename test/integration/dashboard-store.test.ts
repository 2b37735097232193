import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/storage/sqlite/open-sqlite-store.ts';
import type { KyselyRelayStore } from '../../src/storage/kysely/kysely-relay-store.ts';
import type { TraceCursor, TraceFilter } from '../../src/storage/relay-store.ts';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

describe('dashboard reads on a real SQLite store', () => {
  let dir: string;
  let store: KyselyRelayStore;

  const register = (traceId: string, serverUri: string, at: number, appId = 'wxA') =>
    store.register({ appId, traceId, serverUri, deadlineAt: at + 30 * MINUTE }, at);
  const push = (traceId: string, at: number, appId = 'wxA') => store.ingestCallback({
    appId, correlationId: traceId, dedupeKey: `trace:${traceId}`, event: 'wxa_media_check',
    contentType: 'application/json', body: `{"trace_id":"${traceId}"}`, fingerprint: traceId,
  }, at, at + 86_400_000);
  /** Claims every due delivery and answers each attempt with `status`. */
  const attemptAll = async (at: number, status: number) => {
    const claims = await store.claimDueDeliveries('test', at, 60_000, 100);
    for (const claim of claims) {
      const ok = status < 300;
      await store.completeAttempt(claim, { startedAt: at, durationMs: 12, httpStatus: status, outcome: ok ? 'success' : 'http_error', errorMessage: null, responseExcerpt: ok ? 'ok' : 'nope' },
        ok ? { kind: 'delivered' } : { kind: 'failed', traceError: 'BIZ_SERVER_ERROR' }, at);
    }
    return claims.length;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-dash-store-'));
    store = openSqliteStore({ filename: join(dir, 'relay.db'), synchronous: 'normal' });
    await store.migrate();
    // test-1..3 to the test server, prod-1..2 to prod, one of app wxB; pushed and answered below.
    for (let index = 1; index <= 3; index++) await register(`test-${index}`, 'http://test.local/cb', T0 + index * MINUTE);
    await register('prod-1', 'http://prod.local/cb', T0 + 4 * MINUTE);
    await register('prod-2', 'http://prod.local/cb', T0 + 5 * MINUTE);
    await register('other-1', 'http://prod.local/cb', T0 + 6 * MINUTE, 'wxB');
    await push('test-1', T0 + 10 * MINUTE);
    await push('prod-1', T0 + 10 * MINUTE);
    await attemptAll(T0 + 11 * MINUTE, 200);
    await push('prod-2', T0 + 12 * MINUTE);
    await attemptAll(T0 + 13 * MINUTE, 500);
    // test-2, test-3 and other-1 run past their deadlines.
    await store.expireOverdue(T0 + 40 * MINUTE, 100);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ids = async (filter: TraceFilter, limit = 50) => (await store.listTraces(filter, null, limit)).traces.map((trace) => trace.traceId);

  it('lists newest first and narrows by status, app, destination, time and trace id prefix', async () => {
    expect(await ids({})).toEqual(['other-1', 'prod-2', 'prod-1', 'test-3', 'test-2', 'test-1']);
    expect(await ids({ status: 'delivered' })).toEqual(['prod-1', 'test-1']);
    expect(await ids({ status: 'failed' })).toEqual(['prod-2']);
    expect(await ids({ status: 'timed_out' })).toEqual(['other-1', 'test-3', 'test-2']);
    expect(await ids({ appId: 'wxB' })).toEqual(['other-1']);
    expect(await ids({ destination: 'http://prod.local/cb', appId: 'wxA' })).toEqual(['prod-2', 'prod-1']);
    expect(await ids({ createdFrom: T0 + 2 * MINUTE, createdTo: T0 + 5 * MINUTE })).toEqual(['prod-1', 'test-3', 'test-2']);
    expect(await ids({ traceIdPrefix: 'test-' })).toEqual(['test-3', 'test-2', 'test-1']);
    expect(await ids({ traceIdPrefix: 'prod-1' })).toEqual(['prod-1']);
    expect(await ids({ traceIdPrefix: 'nothing' })).toEqual([]);
  });

  it('pages with a keyset cursor: no row twice, none skipped, even with equal timestamps', async () => {
    for (let index = 0; index < 7; index++) await register(`same-${index}`, 'http://same.local/cb', T0 + 100 * MINUTE);
    const seen: string[] = [];
    let cursor: TraceCursor | null = null;
    let pages = 0;
    do {
      const page = await store.listTraces({ destination: 'http://same.local/cb' }, cursor, 3);
      seen.push(...page.traces.map((trace) => trace.traceId));
      cursor = page.next;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen.toSorted()).toEqual(Array.from({ length: 7 }, (_, index) => `same-${index}`));
  });

  it('summarises each destination: attempts, successes, last answer, open deliveries', async () => {
    const health = await store.summarizeDestinations(T0, 20);
    const byDestination = Object.fromEntries(health.map((item) => [item.destination, item]));
    expect(byDestination['http://test.local/cb']).toMatchObject({ attempts: 1, successes: 1, lastHttpStatus: 200, lastOutcome: 'success', openDeliveries: 2 });
    expect(byDestination['http://prod.local/cb']).toMatchObject({ attempts: 2, successes: 1, lastHttpStatus: 500, lastOutcome: 'http_error', lastAttemptAt: T0 + 13 * MINUTE, openDeliveries: 1 });
    expect(await store.summarizeDestinations(T0 + 12 * MINUTE, 20)).toEqual([expect.objectContaining({ destination: 'http://prod.local/cb', attempts: 1, successes: 0 })]);
    expect(await store.summarizeDestinations(T0 + 60 * MINUTE, 20)).toEqual([]);
  });

  it('counts pushes, delivered, failed and timed out per bucket', async () => {
    const buckets = await store.countActivity(T0, T0 + 60 * MINUTE, 10 * MINUTE);
    expect(buckets).toHaveLength(6);
    expect(buckets.map((bucket) => bucket.start)).toEqual([0, 1, 2, 3, 4, 5].map((index) => T0 + index * 10 * MINUTE));
    expect(buckets[1]).toEqual({ start: T0 + 10 * MINUTE, pushes: 3, delivered: 2, failed: 1, timedOut: 0 });
    expect(buckets[4]).toMatchObject({ pushes: 0, delivered: 0, failed: 0, timedOut: 3 });
    expect(buckets.reduce((sum, bucket) => sum + bucket.pushes, 0)).toBe(3);
  });
});
