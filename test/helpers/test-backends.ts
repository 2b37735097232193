import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { Redis } from 'ioredis';
import pg from 'pg';

export type TestBackend = 'sqlite' | 'postgres' | 'mysql';

/** Where the machine's shared services listen; overridable for other machines. */
export const SERVICE_URLS = {
  postgres: process.env.RELAY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  mysql: process.env.RELAY_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
  redis: process.env.RELAY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
} as const;

/** The backend this run of the suite targets (one Vitest project per backend sets it). */
export function currentBackend(): TestBackend {
  const name = process.env.RELAY_TEST_BACKEND ?? 'sqlite';
  if (name !== 'sqlite' && name !== 'postgres' && name !== 'mysql') throw new Error(`RELAY_TEST_BACKEND=${name} is not sqlite, postgres or mysql`);
  return name;
}

/** Whether this project run also gives each relay a Redis (RELAY_TEST_REDIS=on). */
export function isRedisRun(): boolean {
  return process.env.RELAY_TEST_REDIS === 'on';
}

export interface TestDatabase {
  /** DATABASE_URL of the fresh database. */
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, randomly named database on a server backend; tests never share one,
 * so files run in parallel and leave nothing behind. The benchmarks name theirs
 * with another prefix, so a leftover tells whose it was.
 */
export async function createTestDatabase(backend: Exclude<TestBackend, 'sqlite'>, prefix = 'relay_test'): Promise<TestDatabase> {
  if (!/^[a-z_]+$/.test(prefix)) throw new Error(`not a database name prefix: ${prefix}`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  if (backend === 'postgres') {
    await withPostgres((client) => client.query(`CREATE DATABASE ${name}`));
    return {
      url: `${SERVICE_URLS.postgres}/${name}`,
      drop: () => withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
    };
  }
  await withMysql((connection) => connection.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`));
  return {
    url: `${SERVICE_URLS.mysql}/${name}`,
    drop: () => withMysql((connection) => connection.query(`DROP DATABASE IF EXISTS ${name}`)),
  };
}

async function withPostgres(run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: `${SERVICE_URLS.postgres}/postgres`, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}

async function withMysql(run: (connection: Awaited<ReturnType<typeof createConnection>>) => Promise<unknown>): Promise<void> {
  const connection = await createConnection({ uri: SERVICE_URLS.mysql, connectTimeout: 5000 });
  try {
    await run(connection);
  } finally {
    await connection.end();
  }
}

/** Counts a table's rows straight from the database, beside the relay (for checks the API cannot show). */
export async function countRows(databaseUrl: string, table: string): Promise<number> {
  if (!/^relay_[a-z_]+$/.test(table)) throw new Error(`not a relay table: ${table}`);
  if (databaseUrl.startsWith('sqlite:')) {
    const { DatabaseSync } = await import('node:sqlite');
    const database = new DatabaseSync(databaseUrl.slice('sqlite:'.length), { readOnly: true });
    try {
      return Number((database.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
    } finally {
      database.close();
    }
  }
  if (databaseUrl.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return Number((await client.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n);
    } finally {
      await client.end();
    }
  }
  const connection = await createConnection({ uri: databaseUrl });
  try {
    const [rows] = await connection.query(`SELECT COUNT(*) AS n FROM ${table}`);
    return Number((rows as Array<{ n: number }>)[0]!.n);
  } finally {
    await connection.end();
  }
}

/** Deletes every key under a test's prefix from a shared Redis, so runs leave nothing behind. */
export async function dropRedisKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // A Redis that is away has nothing to clean.
  } finally {
    client.disconnect();
  }
}
