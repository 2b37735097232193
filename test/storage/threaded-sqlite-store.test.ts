import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ThreadedSqliteStore } from '../../src/storage/sqlite/threaded-sqlite-store.ts';

/** The SQLite store on its own thread: what crosses the boundary, and what happens at its edges. */
describe('SQLite store thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-thread-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers calls in any order they finish, and builds the relay\'s timeout notices on its side', async () => {
    const store = new ThreadedSqliteStore({ filename: join(dir, 'a.db'), synchronous: 'normal' });
    try {
      await store.migrate();
      const now = 1_800_000_000_000;
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, index) =>
        store.register({ appId: 'app', traceId: `t-${index}`, serverUri: 'http://127.0.0.1:1/x', deadlineAt: now + 10 }, now)));
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(Array(20).fill('created'));
      expect(await store.expireOverdue(now + 11, 100)).toBe(20);
      const [notice] = await store.claimDueDeliveries('w', now + 12, 10_000, 1);
      expect(notice).toMatchObject({ kind: 'timeout', contentType: 'application/json' });
      expect(JSON.parse(notice!.body!)).toMatchObject({ type: 'callback.timeout', error: 'WX_TIMEOUT_ERROR', app_id: 'app' });
    } finally {
      await store.close();
    }
  });

  it('reports a database it cannot open as a rejected call, not a hang', async () => {
    writeFileSync(join(dir, 'plain-file'), 'not a directory');
    const store = new ThreadedSqliteStore({ filename: join(dir, 'plain-file', 'relay.db'), synchronous: 'normal' });
    try {
      await expect(store.ping()).rejects.toThrow(/ENOTDIR|EEXIST|not a directory|file already exists/i);
      // Every later call fails the same way, at once.
      await expect(store.migrate()).rejects.toThrow();
    } finally {
      await store.close();
    }
  });

  it('fails every call once its thread has crashed, and reports the crash once', async () => {
    const broken: Error[] = [];
    const store = new ThreadedSqliteStore({ filename: join(dir, 'c.db'), synchronous: 'normal' }, {
      onBroken: (error) => broken.push(error),
      threadUrl: new URL('../fixtures/crashing-sqlite-thread.ts', import.meta.url),
    });
    await expect(store.ping()).rejects.toThrow(/exit code 3/);
    await expect(store.migrate()).rejects.toThrow(/exit code 3/);
    await store.close();
    expect(broken.map((error) => error.message)).toEqual([expect.stringMatching(/exit code 3/)]);
  });

  it('refuses calls once closed, and closing on purpose is not a crash', async () => {
    const broken: Error[] = [];
    const store = new ThreadedSqliteStore({ filename: join(dir, 'b.db'), synchronous: 'normal' }, { onBroken: (error) => broken.push(error) });
    await store.ping();
    await store.close();
    await expect(store.ping()).rejects.toThrow(/closed/);
    expect(broken).toEqual([]);
  });
});
