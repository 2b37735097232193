import { Socket } from 'node:net';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * One suite, run once per backend: every storage, delivery and integration test
 * runs on SQLite, PostgreSQL and MariaDB/MySQL. Narrow with
 * RELAY_TEST_BACKENDS=sqlite,postgres,mysql. A service that does not answer is
 * skipped with a loud notice — except under CI=true, where its tests run and fail.
 */
const BACKEND_PORTS = { sqlite: undefined, postgres: 5432, mysql: 3306 } as const;
type Backend = keyof typeof BACKEND_PORTS;

/** Tests whose subject is storage or delivery: they run on every backend. Pure unit tests run once. */
const PER_BACKEND = ['test/integration/**/*.test.ts', 'test/storage/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/redis/**/*.test.ts'];

function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (isOpen: boolean) => {
      socket.destroy();
      resolve(isOpen);
    };
    socket.setTimeout(1500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}

async function selectBackends(): Promise<Backend[]> {
  const wanted = (process.env.RELAY_TEST_BACKENDS ?? 'sqlite,postgres,mysql').split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = wanted.filter((name) => !(name in BACKEND_PORTS));
  if (unknown.length > 0) throw new Error(`RELAY_TEST_BACKENDS: unknown backend(s) ${unknown.join(', ')}; use sqlite, postgres, mysql`);
  const selected: Backend[] = [];
  for (const name of wanted as Backend[]) {
    const port = BACKEND_PORTS[name];
    if (port === undefined || process.env.CI === 'true' || (await isPortOpen(port))) {
      selected.push(name);
      continue;
    }
    console.warn(`\n${'!'.repeat(78)}\n!! ${name} is not reachable on 127.0.0.1:${port}: its tests are SKIPPED.\n!! Start it (bash scripts/ensure-services.sh) or narrow RELAY_TEST_BACKENDS.\n${'!'.repeat(78)}\n`);
  }
  return selected;
}

export default defineConfig(async () => {
  const backends = await selectBackends();
  const projects: TestProjectInlineConfiguration[] = backends.map((backend) => ({
    extends: true,
    test: {
      name: backend,
      include: backend === 'sqlite' ? ['test/**/*.test.ts'] : PER_BACKEND,
      env: { RELAY_TEST_BACKEND: backend },
    },
  }));
  return {
    test: {
      // Integration tests start real servers and databases; give them room on a 2-core machine.
      testTimeout: 30_000,
      hookTimeout: 30_000,
      pool: 'forks',
      reporters: ['default'],
      projects,
    },
  };
});
