import { Socket } from 'node:net';
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * One suite, run once per backend: every storage, delivery and integration test
 * runs on SQLite, PostgreSQL and MariaDB/MySQL. Narrow with
 * RELAY_TEST_BACKENDS=sqlite,postgres,mysql. A service that does not answer is
 * skipped with a loud notice — except under CI=true, where its tests run and fail.
 * Each backend runs again with Redis (the integration and end-to-end tests, plus
 * test/redis); RELAY_TEST_REDIS=off|on|both (default both) narrows that.
 */
const BACKEND_PORTS = { sqlite: undefined, postgres: 5432, mysql: 3306 } as const;
const REDIS_PORT = 6379;
type Backend = keyof typeof BACKEND_PORTS;

/** Tests whose subject is storage or delivery: they run on every backend. Pure unit tests run once. */
const PER_BACKEND = ['test/integration/**/*.test.ts', 'test/storage/**/*.test.ts', 'test/e2e/**/*.test.ts'];
/** What runs again with a Redis beside each backend. */
const WITH_REDIS = ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/redis/**/*.test.ts'];

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
    warnSkipped(name, port, 'RELAY_TEST_BACKENDS');
  }
  return selected;
}

function warnSkipped(name: string, port: number, variable: string): void {
  console.warn(`\n${'!'.repeat(78)}\n!! ${name} is not reachable on 127.0.0.1:${port}: its tests are SKIPPED.\n!! Start it (bash scripts/ensure-services.sh) or narrow ${variable}.\n${'!'.repeat(78)}\n`);
}

async function selectRedisModes(): Promise<Array<'off' | 'on'>> {
  const wanted = process.env.RELAY_TEST_REDIS ?? 'both';
  if (!['off', 'on', 'both'].includes(wanted)) throw new Error(`RELAY_TEST_REDIS=${wanted}: use off, on or both`);
  const modes: Array<'off' | 'on'> = wanted === 'both' ? ['off', 'on'] : [wanted as 'off' | 'on'];
  if (!modes.includes('on') || process.env.CI === 'true' || (await isPortOpen(REDIS_PORT))) return modes;
  warnSkipped('redis', REDIS_PORT, 'RELAY_TEST_REDIS');
  return modes.filter((mode) => mode === 'off');
}

export default defineConfig(async () => {
  const backends = await selectBackends();
  const modes = await selectRedisModes();
  const projects: TestProjectInlineConfiguration[] = backends.flatMap((backend) => modes.map((mode) => ({
    extends: true,
    test: {
      name: mode === 'on' ? `${backend}+redis` : backend,
      include: mode === 'on' ? WITH_REDIS : backend === 'sqlite' ? ['test/**/*.test.ts'] : PER_BACKEND,
      exclude: [...configDefaults.exclude, ...(mode === 'on' ? [] : ['test/redis/**'])],
      env: { RELAY_TEST_BACKEND: backend, RELAY_TEST_REDIS: mode },
    },
  })));
  return {
    test: {
      // Integration tests start real servers and databases; give them room on a 2-core machine.
      testTimeout: 30_000,
      hookTimeout: 30_000,
      pool: 'forks',
      reporters: ['default', './test/support/summary-reporter.ts'],
      projects,
    },
  };
});
