import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.ts';
import type { AttemptRecord, ClaimedDelivery, IncomingCallback, RelayStore } from '../../src/storage/relay-store.ts';
import { createBackendDatabase } from '../helpers/relay-harness.ts';
import { openRawDatabase } from '../helpers/query-plans.ts';
import { currentBackend } from '../helpers/test-backends.ts';

/** The store's conditional transitions, on the backend this run targets. */
describe(`RelayStore transitions on ${currentBackend()}`, () => {
  let store: RelayStore;
  let other: RelayStore;
  let drop: () => Promise<void>;
  let databaseUrl: string;
  const T0 = 1_800_000_000_000;
  const LEASE = 10_000;

  beforeAll(async () => {
    const database = await createBackendDatabase();
    drop = database.drop;
    databaseUrl = database.url;
    const config = { databaseUrl: database.url, sqliteSynchronous: 'normal' as const, dbPoolMax: 4 };
    store = openStore(config);
    await store.migrate();
    // A second store on the same database plays a second relay instance. SQLite is
    // one instance per file (a second writer in the same thread would wait on itself).
    other = currentBackend() === 'sqlite' ? store : openStore(config);
  });
  afterAll(async () => {
    await store.close();
    if (other !== store) await other.close();
    await drop();
  });

  const callback = (traceId: string, fingerprint = 'f1'): IncomingCallback => ({
    appId: 'app', correlationId: traceId, dedupeKey: `id:${traceId}`, event: 'event/wxa_media_check',
    contentType: 'application/json', body: JSON.stringify({ trace_id: traceId, note: '审核 ✓' }), fingerprint,
  });
  const ok: AttemptRecord = { startedAt: T0, durationMs: 5, httpStatus: 200, outcome: 'success', errorMessage: null, responseExcerpt: 'ok' };
  const failed: AttemptRecord = { ...ok, httpStatus: 500, outcome: 'http_error', responseExcerpt: 'nope' };
  const registerAndPush = async (traceId: string, now: number) => {
    await store.register({ appId: 'app', traceId, serverUri: `http://127.0.0.1:1/${traceId}`, deadlineAt: now + 60_000 }, now);
    expect(await store.ingestCallback(callback(traceId), now, now + 60_000)).toBe('forwarded');
  };
  const claimOne = async (owner: string, now: number, target = store): Promise<ClaimedDelivery[]> => target.claimDueDeliveries(owner, now, LEASE, 50);

  it('claims a due delivery once: a second claimer at the same moment gets nothing', async () => {
    await registerAndPush('claim-1', T0);
    const [first, second] = await Promise.all([claimOne('a', T0), claimOne('b', T0, other)]);
    const claims = [...first, ...second].filter((claim) => claim.traceId === 'claim-1');
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatchObject({ attempt: 1, kind: 'callback', appId: 'app', body: JSON.stringify({ trace_id: 'claim-1', note: '审核 ✓' }) });
    expect(typeof claims[0]!.createdAt).toBe('number');
    // Still leased: nobody else may take it before the lease runs out.
    expect(await claimOne('c', T0 + LEASE - 1)).toHaveLength(0);
    expect(await store.completeAttempt(claims[0]!, ok, { kind: 'delivered' }, T0 + 10)).toBe(true);
    const trace = await store.getTrace('app', 'claim-1');
    expect(trace).toMatchObject({ status: 'delivered', error: null });
    expect(trace!.attempts).toEqual([expect.objectContaining({ attempt: 1, httpStatus: 200, durationMs: 5, startedAt: T0 })]);
  });

  it('leases a pushed verdict to the ingesting worker in the same transaction, unless it goes to a dev tunnel', async () => {
    const now = T0 + 5_000_000;
    await store.register({ appId: 'app', traceId: 'handoff-1', serverUri: 'http://127.0.0.1:1/handoff-1', deadlineAt: now + 60_000 }, now);
    const { outcome, claim } = await store.ingestAndLease(callback('handoff-1'), now, now + 60_000, { owner: 'ingester', leaseMs: LEASE });
    expect(outcome).toBe('forwarded');
    expect(claim).toMatchObject({ attempt: 1, leaseOwner: 'ingester', traceId: 'handoff-1', destination: 'http://127.0.0.1:1/handoff-1', kind: 'callback', deadlineAt: now + 60_000 });
    // Leased like a claim: no other instance takes it before the lease ends.
    expect((await claimOne('b', now + LEASE - 1, other)).filter((c) => c.traceId === 'handoff-1')).toHaveLength(0);
    expect(await store.completeAttempt(claim!, ok, { kind: 'delivered' }, now + 5)).toBe(true);
    expect(await store.getTrace('app', 'handoff-1')).toMatchObject({ status: 'delivered' });

    await store.register({ appId: 'app', traceId: 'handoff-2', serverUri: 'tunnel://alice', deadlineAt: now + 60_000 }, now);
    const tunnel = await store.ingestAndLease(callback('handoff-2'), now, now + 60_000, { owner: 'ingester', leaseMs: LEASE });
    expect(tunnel).toEqual({ outcome: 'forwarded', claim: null });
    const repeat = await store.ingestAndLease(callback('handoff-1'), now, now + 60_000, { owner: 'ingester', leaseMs: LEASE });
    expect(repeat).toEqual({ outcome: 'duplicate', claim: null });
  });

  it('hands a delivery whose lease ran out to another instance, and ignores the late verdict of the first', async () => {
    const now = T0 + 1_000_000;
    await registerAndPush('lease-1', now);
    const [lost] = await claimOne('dead-worker', now);
    expect(lost).toBeDefined();
    const [taken] = await claimOne('survivor', now + LEASE + 1, other);
    expect(taken).toMatchObject({ id: lost!.id, attempt: 2, leaseOwner: 'survivor' });
    // The first worker wakes up and reports: its attempt is recorded, its verdict is not applied.
    expect(await store.completeAttempt(lost!, failed, { kind: 'failed', traceError: 'BIZ_SERVER_ERROR' }, now + LEASE + 2)).toBe(false);
    expect((await store.getTrace('app', 'lease-1'))!.status).toBe('delivering');
    expect(await other.completeAttempt(taken!, ok, { kind: 'delivered' }, now + LEASE + 3)).toBe(true);
    const trace = await store.getTrace('app', 'lease-1');
    expect(trace).toMatchObject({ status: 'delivered' });
    expect(trace!.attempts.map((attempt) => attempt.attempt).sort()).toEqual([1, 2]);
    expect(trace!.deliveries[0]).toMatchObject({ status: 'delivered', attemptCount: 2 });
  });

  it('completes a batch in one transaction: each verdict applied, a lost lease and a repeat left alone, every attempt recorded', async () => {
    const now = T0 + 6_000_000;
    await registerAndPush('batch-lost', now);
    const [lost] = (await claimOne('w', now)).filter((claim) => claim.traceId === 'batch-lost');
    // Its lease runs out and another instance takes it before the batch is written.
    const [taken] = (await claimOne('survivor', now + LEASE + 1, other)).filter((claim) => claim.traceId === 'batch-lost');
    expect(taken).toBeDefined();
    for (const id of ['batch-ok', 'batch-retry', 'batch-fail']) await registerAndPush(id, now + LEASE + 1);
    const claims = new Map((await claimOne('w', now + LEASE + 1)).filter((claim) => claim.traceId?.startsWith('batch-')).map((claim) => [claim.traceId!, claim]));
    expect([...claims.keys()].sort()).toEqual(['batch-fail', 'batch-ok', 'batch-retry']);
    claims.set('batch-lost', lost!);
    const applied = await store.completeAttempts([
      { claim: claims.get('batch-ok')!, record: ok, verdict: { kind: 'delivered' } },
      { claim: claims.get('batch-retry')!, record: failed, verdict: { kind: 'retry', nextAttemptAt: now + 50_000 } },
      { claim: claims.get('batch-fail')!, record: failed, verdict: { kind: 'failed', traceError: 'BIZ_SERVER_ERROR' } },
      { claim: claims.get('batch-lost')!, record: failed, verdict: { kind: 'failed', traceError: 'BIZ_SERVER_ERROR' } },
      // The same completion twice in one batch: applied once.
      { claim: claims.get('batch-ok')!, record: ok, verdict: { kind: 'delivered' } },
    ], now + LEASE + 2);
    expect(applied).toEqual([true, true, true, false, false]);
    expect(await store.getTrace('app', 'batch-ok')).toMatchObject({ status: 'delivered', error: null });
    expect(await store.getTrace('app', 'batch-retry')).toMatchObject({ status: 'delivering' });
    expect((await store.getTrace('app', 'batch-retry'))!.deliveries[0]).toMatchObject({ status: 'pending', nextAttemptAt: now + 50_000 });
    expect(await store.getTrace('app', 'batch-fail')).toMatchObject({ status: 'failed', error: 'BIZ_SERVER_ERROR' });
    expect(await store.getTrace('app', 'batch-lost')).toMatchObject({ status: 'delivering' });
    expect((await store.getTrace('app', 'batch-lost'))!.attempts).toHaveLength(1);
    expect((await store.getTrace('app', 'batch-ok'))!.attempts).toHaveLength(2);
    expect(await store.completeAttempts([], now)).toEqual([]);
    expect(await other.completeAttempt(taken!, ok, { kind: 'delivered' }, now + LEASE + 3)).toBe(true);
  });

  it('schedules a retry: not due before its time, due after', async () => {
    const now = T0 + 2_000_000;
    await registerAndPush('retry-1', now);
    const [claim] = await claimOne('w', now);
    expect(await store.completeAttempt(claim!, failed, { kind: 'retry', nextAttemptAt: now + 5000 }, now + 1)).toBe(true);
    expect(await store.nextDueAt()).toBe(now + 5000);
    expect(await claimOne('w', now + 4999)).toHaveLength(0);
    const [again] = await claimOne('w', now + 5000);
    expect(again).toMatchObject({ id: claim!.id, attempt: 2 });
    expect(await store.completeAttempt(again!, failed, { kind: 'failed', traceError: 'BIZ_SERVER_ERROR' }, now + 5001)).toBe(true);
    expect(await store.getTrace('app', 'retry-1')).toMatchObject({ status: 'failed', error: 'BIZ_SERVER_ERROR' });
  });

  it('times out an overdue trace exactly once, even with two sweepers at the same moment', async () => {
    const now = T0 + 3_000_000;
    await store.register({ appId: 'app', traceId: 'late-1', serverUri: 'http://127.0.0.1:1/late', deadlineAt: now + 100 }, now);
    expect(await store.expireOverdue(now + 99, 100)).toBe(0);
    const counts = await Promise.all([store.expireOverdue(now + 100, 100), other.expireOverdue(now + 100, 100)]);
    expect(counts[0] + counts[1]).toBe(1);
    const trace = await store.getTrace('app', 'late-1');
    expect(trace).toMatchObject({ status: 'timed_out', error: 'WX_TIMEOUT_ERROR' });
    expect(trace!.deliveries).toEqual([expect.objectContaining({ kind: 'timeout', status: 'pending' })]);
    const claims = (await claimOne('w', now + 101)).filter((claim) => claim.traceId === 'late-1');
    expect(JSON.parse(claims[0]!.body!)).toMatchObject({ type: 'callback.timeout', trace_id: 'late-1' });
    expect(await store.completeAttempt(claims[0]!, ok, { kind: 'delivered' }, now + 102)).toBe(true);
    // A late callback is still forwarded, flagged late.
    expect(await store.ingestCallback(callback('late-1'), now + 200, now + 60_000)).toBe('late');
    expect(await store.getTrace('app', 'late-1')).toMatchObject({ status: 'delivering', isLate: true });
  });

  it('parks an early push, adopts it at registration, and the sweeper adopts one that raced its registration', async () => {
    const now = T0 + 4_000_000;
    expect(await store.ingestCallback(callback('early-1'), now, now + 60_000)).toBe('parked');
    const registered = await other.register({ appId: 'app', traceId: 'early-1', serverUri: 'http://127.0.0.1:1/e', deadlineAt: now + 60_000 }, now + 1);
    expect(registered).toMatchObject({ kind: 'created', adoptedCallback: true });

    // Pushes and registrations committed at the same moment on two instances: under
    // READ COMMITTED neither may see the other, leaving a parked push beside a pending trace.
    const ids = Array.from({ length: 30 }, (_, index) => `race-${index}`);
    await Promise.all(ids.flatMap((id) => [
      store.register({ appId: 'app', traceId: id, serverUri: `http://127.0.0.1:1/${id}`, deadlineAt: now + 60_000 }, now),
      other.ingestCallback(callback(id), now, now + 60_000),
    ]));
    await store.adoptParkedCallbacks(null, 100, now + 2);
    const statuses = await Promise.all(ids.map(async (id) => (await store.getTrace('app', id))!.status));
    expect(statuses.every((status) => status === 'delivering')).toBe(true);
    expect((await store.countBacklog()).parkedCallbacks).toBe(0);
    const claims = (await claimOne('w', now + 3)).filter((claim) => claim.traceId?.startsWith('race-'));
    expect(claims).toHaveLength(30);
  });

  it('pages through parked pushes from a cursor, adopting only those whose trace was registered since', async () => {
    const now = T0 + 4_500_000;
    // Pushes nobody registers, interleaved with pushes whose registration then lands beside them unseen.
    for (let index = 0; index < 12; index += 1) {
      expect(await store.ingestCallback(callback(`page-orphan-${index}`), now + index * 2, now + 60_000)).toBe('parked');
      expect(await store.ingestCallback(callback(`page-raced-${index}`), now + index * 2 + 1, now + 60_000)).toBe('parked');
    }
    // What the race leaves behind: a pending trace beside its parked push, neither having seen the other.
    const raced = Array.from({ length: 12 }, (_, index) => `page-raced-${index}`);
    const raw = await openRawDatabase(databaseUrl);
    try {
      for (const id of raced) {
        await raw.exec(`insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at)
          values ('${id}-pk', 'app', '${id}', 'http://127.0.0.1:1/${id}', 'pending', null, null, 0, 0, ${now + 30}, ${now + 30}, ${now + 60_000})`);
      }
    } finally {
      await raw.close();
    }
    let cursor = { receivedAt: now, id: '' };
    let pages = 0;
    for (;;) {
      const page = await store.adoptParkedCallbacks(cursor, 5, now + 40);
      pages += 1;
      if (page.next === null) break;
      expect(page.next.receivedAt).toBeGreaterThanOrEqual(cursor.receivedAt);
      cursor = page.next;
    }
    // One writer on SQLite: the race cannot happen there, and the pass has nothing to read.
    if (currentBackend() === 'sqlite') return;
    expect(pages).toBeGreaterThan(1);
    const statuses = await Promise.all(raced.map(async (id) => (await store.getTrace('app', id))!.status));
    expect(statuses.every((status) => status === 'delivering')).toBe(true);
    const orphans = await store.listCallbacks({ appId: 'app', state: 'parked', limit: 100 });
    expect(orphans.filter((item) => item.correlationId?.startsWith('page-orphan-'))).toHaveLength(12);
  });

  it('keeps repeats and conflicts apart and ids case-sensitive', async () => {
    const now = T0 + 5_000_000;
    await store.register({ appId: 'app', traceId: 'Case-1', serverUri: 'http://127.0.0.1:1/upper', deadlineAt: now + 60_000 }, now);
    const lower = await store.register({ appId: 'app', traceId: 'case-1', serverUri: 'http://127.0.0.1:1/lower', deadlineAt: now + 60_000 }, now);
    expect(lower.kind).toBe('created');
    expect(await store.ingestCallback(callback('Case-1'), now, now + 1)).toBe('forwarded');
    expect(await other.ingestCallback(callback('Case-1'), now, now + 1)).toBe('duplicate');
    expect(await other.ingestCallback(callback('Case-1', 'f2'), now, now + 1)).toBe('conflict');
    const trace = await store.getTrace('app', 'Case-1');
    expect(trace).toMatchObject({ conflictCount: 1, callback: { duplicateCount: 1 } });
    expect((await store.getTrace('app', 'case-1'))!.status).toBe('pending');
  });

  it('forwards each push of its own under one id (a source\'s changes), a repeat of one not again, and adopts every early one', async () => {
    const now = T0 + 7_000_000;
    const change = (traceId: string, n: number): IncomingCallback => ({
      ...callback(traceId), dedupeKey: `sha256:${traceId}-${n}`, fingerprint: `f${n}`, body: JSON.stringify({ id: traceId, change: n }),
    });
    await store.register({ appId: 'app', traceId: 'many-1', serverUri: 'http://127.0.0.1:1/many', deadlineAt: now + 60_000 }, now);
    expect(await store.ingestCallback(change('many-1', 1), now, now + 60_000)).toBe('forwarded');
    expect(await other.ingestCallback(change('many-1', 2), now + 1, now + 60_000)).toBe('forwarded');
    expect(await other.ingestCallback(change('many-1', 2), now + 2, now + 60_000)).toBe('duplicate');
    expect(await store.ingestCallback(change('many-1', 1), now + 3, now + 60_000)).toBe('duplicate');
    const trace = await store.getTrace('app', 'many-1');
    expect(trace).toMatchObject({ status: 'delivering', conflictCount: 0 });
    expect(trace!.deliveries).toHaveLength(2);
    expect(trace!.callback!.body).toBe(change('many-1', 2).body);

    const parkedBefore = (await store.countBacklog()).parkedCallbacks;
    for (let n = 1; n <= 3; n += 1) expect(await store.ingestCallback(change('many-2', n), now + n, now + 60_000)).toBe('parked');
    expect(await other.register({ appId: 'app', traceId: 'many-2', serverUri: 'http://127.0.0.1:1/many', deadlineAt: now + 60_000 }, now + 5)).toMatchObject({ adoptedCallback: true });
    const claims = (await store.claimDueDeliveries('many', now + 6, LEASE, 1000)).filter((claim) => claim.traceId?.startsWith('many-'));
    expect(claims.map((claim) => claim.body).sort()).toEqual([1, 2, 3].map((n) => change('many-2', n).body).concat([1, 2].map((n) => change('many-1', n).body)).sort());
    expect((await store.countBacklog()).parkedCallbacks).toBe(parkedBefore);
    // More early pushes than one page of the adoption: the registration takes them all (SQLite has no pass to take the rest).
    for (let n = 1; n <= 60; n += 1) expect(await store.ingestCallback(change('many-4', n), now + n, now + 60_000)).toBe('parked');
    await store.register({ appId: 'app', traceId: 'many-4', serverUri: 'http://127.0.0.1:1/many', deadlineAt: now + 60_000 }, now + 61);
    expect((await store.getTrace('app', 'many-4'))!.deliveries).toHaveLength(60);
    expect((await store.countBacklog()).parkedCallbacks).toBe(parkedBefore);
    // Its status follows the delivery that finished last.
    const [one, two] = claims.filter((claim) => claim.traceId === 'many-1');
    expect(await store.completeAttempt(one!, ok, { kind: 'delivered' }, now + 7)).toBe(true);
    expect((await store.getTrace('app', 'many-1'))!.status).toBe('delivered');
    expect(await store.completeAttempt(two!, failed, { kind: 'failed', traceError: 'BIZ_SERVER_ERROR' }, now + 8)).toBe(true);
    expect((await store.getTrace('app', 'many-1'))).toMatchObject({ status: 'failed', error: 'BIZ_SERVER_ERROR' });

    // One writer on SQLite: no pass there, and no race for it to mend.
    if (currentBackend() === 'sqlite') return;
    // Two pushes parked beside a trace registered unseen; two instances' passes adopt each once.
    for (let n = 1; n <= 2; n += 1) expect(await store.ingestCallback(change('many-3', n), now + 10 + n, now + 60_000)).toBe('parked');
    const raw = await openRawDatabase(databaseUrl);
    try {
      await raw.exec(`insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at)
        values ('many-3-pk', 'app', 'many-3', 'http://127.0.0.1:1/many', 'pending', null, null, 0, 0, ${now + 20}, ${now + 20}, ${now + 60_000})`);
    } finally {
      await raw.close();
    }
    await Promise.all([store.adoptParkedCallbacks({ receivedAt: now + 10, id: '' }, 10, now + 30), other.adoptParkedCallbacks({ receivedAt: now + 10, id: '' }, 10, now + 30)]);
    const adopted = (await store.claimDueDeliveries('many-3', now + 31, LEASE, 1000)).filter((claim) => claim.traceId === 'many-3');
    expect(adopted.map((claim) => claim.body).sort()).toEqual([1, 2].map((n) => change('many-3', n).body).sort());
  });

  it('stores a push body larger than 64 KiB intact', async () => {
    const now = T0 + 6_000_000;
    await store.register({ appId: 'app', traceId: 'big-1', serverUri: 'http://127.0.0.1:1/big', deadlineAt: now + 60_000 }, now);
    const body = JSON.stringify({ trace_id: 'big-1', pad: 'x'.repeat(200_000) });
    expect(await store.ingestCallback({ ...callback('big-1'), body }, now, now + 1)).toBe('forwarded');
    expect((await store.getTrace('app', 'big-1'))!.callback!.body).toBe(body);
  });
});
