import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { DatabaseSync } from 'node:sqlite';

/** Another live relay holds the SQLite file; the message names its process. */
export class DatabaseHeldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseHeldError';
  }
}

export interface FileHold {
  release(): void;
}

/**
 * Makes this process the one relay on a SQLite file. Two relays on one file would
 * both claim its deliveries while their writes fail with "database is locked".
 *
 * The hold is an exclusive lock on `<file>.lock`, a tiny SQLite database: SQLite
 * locks with the operating system's file locks, which die with the process, so
 * after a kill -9 the next start goes ahead at once, with no stale lock to clear.
 * `<file>.lock.json` says who holds it, for the refusal's message.
 */
export function holdSqliteFile(filename: string): FileHold {
  const lockPath = `${filename}.lock`;
  const holderPath = `${lockPath}.json`;
  mkdirSync(dirname(lockPath), { recursive: true });
  const lock = new DatabaseSync(lockPath);
  try {
    lock.exec('PRAGMA busy_timeout = 0');
    lock.exec('PRAGMA journal_mode = OFF');
    // In exclusive locking mode the lock taken by the first write is kept until the connection closes.
    lock.exec('PRAGMA locking_mode = EXCLUSIVE');
    lock.exec('CREATE TABLE IF NOT EXISTS relay_hold (pid INTEGER)');
    lock.exec('DELETE FROM relay_hold');
  } catch (error) {
    lock.close();
    if (!/locked|busy/i.test((error as Error).message)) throw error;
    throw new DatabaseHeldError(`${filename} is in use by another relay (${describeHolder(holderPath)}); one relay per SQLite file: stop it first, or use PostgreSQL or MySQL to run several instances`);
  }
  writeFileSync(holderPath, `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`);
  let isHeld = true;
  return {
    release() {
      if (!isHeld) return;
      isHeld = false;
      rmSync(holderPath, { force: true });
      lock.close();
    },
  };
}

function describeHolder(holderPath: string): string {
  try {
    const holder = JSON.parse(readFileSync(holderPath, 'utf8')) as { pid?: number; host?: string; since?: string };
    return `process ${holder.pid ?? '?'} on ${holder.host ?? '?'}, since ${holder.since ?? '?'}`;
  } catch {
    return 'a process that has not said which';
  }
}
