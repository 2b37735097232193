import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, SERVICE_URLS } from '../../test/helpers/test-backends.ts';
import { seedPendingTraces } from './seed-database.ts';
import { seedServerPendingTraces } from './seed-server-database.ts';
import { connectSql } from './sql-client.ts';

export type BenchBackend = 'sqlite' | 'postgres' | 'mysql';

/** BENCH_BACKEND: one backend or a comma list (`sqlite,postgres,mysql`); SQLite when unset. */
export function benchBackends(value = process.env.BENCH_BACKEND ?? 'sqlite'): BenchBackend[] {
  const names = value.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  for (const name of names) {
    if (name !== 'sqlite' && name !== 'postgres' && name !== 'mysql') throw new Error(`BENCH_BACKEND=${value}: ${name} is not sqlite, postgres or mysql`);
  }
  return names.length > 0 ? [...new Set(names as BenchBackend[])] : ['sqlite'];
}

/** A relay database holding the round's pending registrations, and how to get rid of it. */
export interface SeededDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for one round with `count` pending registrations: a file in
 * `dir` for SQLite, a new uniquely named database on the machine's PostgreSQL or
 * MariaDB otherwise (dropped by `drop()`, also when seeding fails).
 */
export async function seedRoundDatabase(backend: BenchBackend, options: { dir: string; round: number; count: number; serverUri: string; prefix: string; relayBin?: string }): Promise<SeededDatabase> {
  if (backend === 'sqlite') {
    const file = join(options.dir, `relay-${options.round}.db`);
    await seedPendingTraces(file, options);
    return {
      url: `sqlite:${file}`,
      drop: async () => {
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
      },
    };
  }
  const database = await createTestDatabase(backend, 'relay_bench');
  try {
    await seedServerPendingTraces(database.url, options);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}

/** The backend as the results name it, with the server's own version (`select version()`). */
export async function backendLabel(backend: BenchBackend): Promise<string> {
  if (backend === 'sqlite') {
    return `SQLite ${process.versions.sqlite ?? ''} (synchronous=${(process.env.RELAY_SQLITE_SYNCHRONOUS ?? 'full').trim().toUpperCase()})`;
  }
  const client = await connectSql(backend === 'postgres' ? `${SERVICE_URLS.postgres}/postgres` : SERVICE_URLS.mysql);
  try {
    const version = String((await client.query('select version() as version'))[0]?.version ?? '');
    if (backend === 'postgres') return /^PostgreSQL [\d.]+/.exec(version)?.[0] ?? `PostgreSQL (${version})`;
    const number = /^[\d.]+/.exec(version)?.[0] ?? version;
    return /mariadb/i.test(version) ? `MariaDB ${number}` : `MySQL ${number}`;
  } finally {
    await client.close();
  }
}

