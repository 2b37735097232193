// One relay on SQLite: the process, the business server and the disk fail in turn.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCase, type ChaosCase } from '../lib/chaos-case.ts';
import { ServiceUnavailable } from '../lib/services.ts';

const killNine: ChaosCase = {
  name: 'kill',
  title: 'kill -9 the relay mid-load, restart it',
  run: (dir) => runCase(killNine.title, { DATABASE_URL: `sqlite:${join(dir, 'kill.db')}` }, async (context) => {
    await context.sleep(3000);
    await context.killRelay();
    await context.sleep(500);
    await context.startRelay();
    return 'SQLite; SIGKILL after 3 s, restarted 0.5 s later on the same database';
  }, { trafficMs: 3000, drainMs: 30_000 }),
};

const businessDown: ChaosCase = {
  name: 'business',
  title: 'the business server down for a stretch, then back',
  run: (dir) => runCase(businessDown.title, { DATABASE_URL: `sqlite:${join(dir, 'down.db')}` }, async (context) => {
    await context.sleep(2000);
    await context.sink.stop();
    await context.sleep(5000);
    await context.sink.start();
    return 'SQLite; business server refused connections for 5 s';
  }, { trafficMs: 2000, drainMs: 40_000 }),
};

/** SQLite on a tiny tmpfs: writes fail with "database or disk is full", then space returns. */
const diskFull: ChaosCase = {
  name: 'disk',
  title: 'SQLite on a full filesystem, then space returns',
  run: async () => {
    const mountPoint = mkdtempSync(join(tmpdir(), 'relay-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (error) {
      rmSync(mountPoint, { recursive: true, force: true });
      throw new ServiceUnavailable(`mounting a small tmpfs (needs root): ${(error as Error).message}`);
    }
    try {
      mkdirSync(join(mountPoint, 'db'));
      const file = join(mountPoint, 'db', 'relay.db');
      const outcome = await runCase(diskFull.title, { DATABASE_URL: `sqlite:${file}` }, async (context) => {
        await context.sleep(6000);
        execFileSync('mount', ['-o', 'remount,size=256m', mountPoint]);
        return 'tmpfs of 1.5 MiB filled by the traffic, grown to 256 MiB after 6 s';
      }, { trafficMs: 3000, drainMs: 30_000 });
      const check = execFileSync(process.execPath, ['-e', `const { DatabaseSync } = require('node:sqlite'); const db = new DatabaseSync(${JSON.stringify(file)}); console.log(db.prepare('pragma integrity_check').get().integrity_check)`]).toString().trim();
      return { ...outcome, notes: `${outcome.notes}; integrity_check: ${check}` };
    } finally {
      execFileSync('umount', ['-l', mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    }
  },
};

export const SINGLE_RELAY_CASES: readonly ChaosCase[] = [killNine, businessDown, diskFull];
