// Two relays on one fresh PostgreSQL database with a private Redis (hot index, wake-ups):
// Redis is emptied or restarted under load. Redis is never the source of truth.
import { PrivateRedis } from '../../test/helpers/private-redis.ts';
import { runCase, type CaseContext, type ChaosCase } from '../lib/chaos-case.ts';
import { readiness } from '../lib/readiness.ts';
import { needCommand, needService, withFreshDatabase } from '../lib/services.ts';

const SETTING = 'two relays on a fresh database on the shared PostgreSQL, private redis-server';

function redisCase(name: string, title: string, fault: (redis: PrivateRedis, context: CaseContext) => Promise<string>): ChaosCase {
  return {
    name,
    title,
    run: async () => {
      needCommand('redis-server');
      // Never the machine's Redis: this one is ours to empty and kill.
      const redis = await needService('a private redis-server', () => PrivateRedis.start());
      try {
        return await withFreshDatabase('postgres', (databaseUrl) => runCase(title, { DATABASE_URL: databaseUrl, REDIS_URL: redis.url }, async (context) => {
          await context.sleep(3000);
          return `${SETTING}; ${await fault(redis, context)}; then ${await indexState(redis)}`;
        }, { trafficMs: 3000, drainMs: 30_000, instances: 2 }));
      } finally {
        await redis.close();
      }
    },
  };
}

/** Whether the relays rebuilt the index from the database (its completion marker stands again). */
async function indexState(redis: PrivateRedis): Promise<string> {
  const client = redis.client();
  try {
    for (let waited = 0; waited < 10_000; waited += 250) {
      if ((await client.exists('callback-relay:index:complete')) === 1) return `index rebuilt (${await client.dbsize()} keys)`;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return '**index not rebuilt within 10 s**';
  } finally {
    client.disconnect();
  }
}

export const REDIS_CASES: readonly ChaosCase[] = [
  redisCase('redis-flush', 'Redis FLUSHALL mid-load', async (redis) => {
    const client = redis.client();
    await client.flushall();
    client.disconnect();
    return 'FLUSHALL after 3 s';
  }),
  redisCase('redis-restart', 'Redis killed mid-load, back empty', async (redis, context) => {
    await redis.kill();
    await context.sleep(3000);
    const during = await readiness(context.relay(0)!.url);
    await redis.restart();
    return `SIGKILL after 3 s, restarted empty 3 s later (/readyz meanwhile: ${during})`;
  }),
];
