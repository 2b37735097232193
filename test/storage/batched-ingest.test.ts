import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayDatabase } from '../../src/storage/database-schema.ts';
import { openStore } from '../../src/storage/open-store.ts';
import { ingestInOneStatementOn } from '../../src/storage/postgres/ingest-in-one-statement.ts';
import { ingestInOneTransactionOn } from '../../src/storage/kysely/ingest-in-one-transaction.ts';
import { MYSQL_TRAITS, openMysqlDb } from '../../src/storage/mysql/open-mysql-store.ts';
import type { IncomingCallback, RelayStore } from '../../src/storage/relay-store.ts';
import { createBackendDatabase } from '../helpers/relay-harness.ts';
import { currentBackend } from '../helpers/test-backends.ts';

const backend = currentBackend();

/**
 * The batched ingest of the server databases (one statement on PostgreSQL, one
 * transaction on MariaDB): all of the common push, or nothing at all.
 */
describe.skipIf(backend === 'sqlite')(`the batched ingest on ${backend}`, () => {
  let store: RelayStore;
  let db: Kysely<RelayDatabase>;
  let pool: pg.Pool | undefined;
  let ingestInOneStatement: ReturnType<typeof ingestInOneStatementOn>;
  let drop: () => Promise<void>;
  const now = 1_800_000_000_000;
  const lease = { owner: 'w', leaseMs: 30_000 };
  const push = (traceId: string, fingerprint = 'f'): IncomingCallback => ({
    appId: 'app', correlationId: traceId, dedupeKey: `id:${traceId}`, event: 'event/wxa_media_check', contentType: 'application/json', body: `{"trace_id":"${traceId}"}`, fingerprint,
  });
  const register = (traceId: string, serverUri = `http://127.0.0.1:1/${traceId}`, deadlineAt = now + 60_000) =>
    store.register({ appId: 'app', traceId, serverUri, deadlineAt }, now);
  const counts = async () => ({
    callbacks: Number((await db.selectFrom('relay_callbacks').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    deliveries: Number((await db.selectFrom('relay_deliveries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
  });

  beforeAll(async () => {
    const database = await createBackendDatabase();
    drop = database.drop;
    store = openStore({ databaseUrl: database.url, sqliteSynchronous: 'normal' });
    await store.migrate();
    if (backend === 'postgres') {
      db = new Kysely<RelayDatabase>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
      pool = new pg.Pool({ connectionString: database.url, max: 2 });
      ingestInOneStatement = ingestInOneStatementOn(pool);
    } else {
      db = openMysqlDb({ url: database.url, poolMax: 2, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
      ingestInOneStatement = ingestInOneTransactionOn((work) => db.transaction().execute(work), MYSQL_TRAITS);
    }
  });
  afterAll(async () => {
    await db?.destroy();
    await pool?.end();
    await store?.close();
    await drop?.();
  });

  it('stores a push for a waiting trace: callback matched, trace delivering, delivery leased to the worker', async () => {
    await register('one-1');
    const result = await ingestInOneStatement(push('one-1'), now, now + 60_000, lease);
    expect(result).toMatchObject({ outcome: 'forwarded', claim: { attempt: 1, leaseOwner: 'w', traceId: 'one-1', destination: 'http://127.0.0.1:1/one-1', isLate: false, deadlineAt: now + 60_000 } });
    const trace = await store.getTrace('app', 'one-1');
    expect(trace).toMatchObject({ status: 'delivering', isLate: false });
    expect(trace!.deliveries).toEqual([expect.objectContaining({ id: result!.claim!.id, status: 'delivering', attemptCount: 1, nextAttemptAt: now + 30_000 })]);
    expect(trace!.callback).toMatchObject({ body: '{"trace_id":"one-1"}' });
  });

  it('flags a push after the deadline late, and leases nothing to a dev tunnel or without a lease', async () => {
    await register('one-late', 'http://127.0.0.1:1/late', now - 1);
    expect(await ingestInOneStatement(push('one-late'), now, now + 60_000, lease)).toMatchObject({ outcome: 'late', claim: { isLate: true } });
    await register('one-tunnel', 'tunnel://alice');
    expect(await ingestInOneStatement(push('one-tunnel'), now, now + 60_000, lease)).toEqual({ outcome: 'forwarded', claim: null });
    expect((await store.getTrace('app', 'one-tunnel'))!.deliveries).toEqual([expect.objectContaining({ status: 'pending', attemptCount: 0 })]);
    await register('one-free');
    expect(await ingestInOneStatement(push('one-free'), now, now + 60_000, undefined)).toEqual({ outcome: 'forwarded', claim: null });
  });

  it('parks a push for an id nobody registered, for the registration to adopt', async () => {
    expect(await ingestInOneStatement(push('one-early'), now, now + 60_000, lease)).toEqual({ outcome: 'parked', claim: null });
    const parked = await db.selectFrom('relay_callbacks').select(['state', 'parked_until']).where('correlation_id', '=', 'one-early').execute();
    // This test's own pool reads int8 as text.
    expect(parked.map((row) => ({ state: row.state, parkedUntil: Number(row.parked_until) }))).toEqual([{ state: 'parked', parkedUntil: now + 60_000 }]);
    expect(await store.register({ appId: 'app', traceId: 'one-early', serverUri: 'http://127.0.0.1:1/early', deadlineAt: now + 60_000 }, now + 5)).toMatchObject({ kind: 'created', adoptedCallback: true });
  });

  it('changes nothing for a repeat or a trace that no longer waits, and leaves those to the general path', async () => {
    await register('one-done');
    await store.ingestCallback(push('one-done'), now, now + 60_000);
    const before = await counts();
    expect(await ingestInOneStatement(push('one-1'), now + 1, now + 60_000, lease)).toBeNull();
    expect(await ingestInOneStatement(push('one-early'), now + 1, now + 60_000, lease)).toBeNull();
    // A second, different verdict for a trace already delivering: a conflict, for the general path.
    expect(await ingestInOneStatement({ ...push('one-done', 'other'), dedupeKey: 'id:one-done#2' }, now + 1, now + 60_000, lease)).toBeNull();
    expect(await counts()).toEqual(before);
    // Through the store, the same pushes end as before.
    expect(await store.ingestCallback(push('one-1'), now + 1, now + 60_000)).toBe('duplicate');
    expect(await store.ingestCallback(push('one-1', 'other verdict'), now + 2, now + 60_000)).toBe('conflict');
  });

  it('stores a batch of pushes arriving together at once, each with its own outcome, and leaves a second push for the same trace to the general path', async () => {
    await register('batch-a');
    await register('batch-b', 'tunnel://bob');
    await register('batch-late', 'http://127.0.0.1:1/late', now - 1);
    const pushes = [push('batch-a'), push('batch-b'), push('batch-unregistered'), push('batch-late'), { ...push('batch-a', 'second'), dedupeKey: 'id:batch-a#2' }, push('one-1')];
    const results = await Promise.all(pushes.map((one) => ingestInOneStatement(one, now, now + 60_000, lease)));
    expect(results[0]).toMatchObject({ outcome: 'forwarded', claim: { traceId: 'batch-a', attempt: 1, leaseOwner: 'w' } });
    expect(results[1]).toEqual({ outcome: 'forwarded', claim: null });
    expect(results[2]).toEqual({ outcome: 'parked', claim: null });
    expect(results[3]).toMatchObject({ outcome: 'late', claim: { traceId: 'batch-late', isLate: true } });
    // The second verdict for batch-a met the first in the batch; a repeat of an old push changes nothing.
    expect(results[4]).toBeNull();
    expect(results[5]).toBeNull();
    expect((await store.getTrace('app', 'batch-a'))!.deliveries).toHaveLength(1);
    // A push of its own for batch-a (its own dedupe key) is a further push under that id: the general path forwards it too.
    expect(await store.ingestCallback(pushes[4]!, now + 1, now + 60_000)).toBe('forwarded');
    expect((await store.getTrace('app', 'batch-a'))!.deliveries).toHaveLength(2);
  });
});
