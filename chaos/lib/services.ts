import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createTestDatabase, SERVICE_URLS } from '../../test/helpers/test-backends.ts';

/** A service a case needs did not answer: the case is reported skipped, the run goes on. */
export class ServiceUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceUnavailable';
  }
}

/** Runs `open`; any failure means the service is not there for this run. */
export async function needService<T>(what: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw new ServiceUnavailable(`${what}: ${(error as Error).message}`);
  }
}

/** Fails with ServiceUnavailable when `command` is not on PATH (looked up, not run: some install tools act when run bare). */
export function needCommand(command: string): void {
  const isFound = (process.env.PATH ?? '').split(delimiter).some((folder) => {
    try {
      accessSync(join(folder, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!isFound) throw new ServiceUnavailable(`${command} is not installed (not on PATH)`);
}

/**
 * A fresh, randomly named database on the machine's shared PostgreSQL or MariaDB
 * for the length of `run`, dropped after, so a run never meets the tests' data.
 */
export async function withFreshDatabase<T>(backend: 'postgres' | 'mysql', run: (databaseUrl: string) => Promise<T>): Promise<T> {
  const database = await needService(`${backend} at ${SERVICE_URLS[backend]}`, () => createTestDatabase(backend));
  try {
    return await run(database.url);
  } finally {
    await database.drop();
  }
}
