// Two relays on one PostgreSQL or MariaDB database; one is killed and the other carries on alone.
import { LEASE_MS, runCase, type ChaosCase } from '../lib/chaos-case.ts';
import { countResentAfter } from '../lib/resent.ts';
import { withFreshDatabase } from '../lib/services.ts';

/** The business server holds each answer this long, so the killed instance has attempts in flight. */
const SINK_DELAY_MS = 500;

function killOneOfTwo(name: string, backend: 'postgres' | 'mysql', label: string): ChaosCase {
  const title = `kill -9 one of two relays on one ${label} database`;
  return {
    name,
    title,
    run: () => withFreshDatabase(backend, (databaseUrl) => runCase(title, { DATABASE_URL: databaseUrl }, async (context) => {
      await context.sleep(3000);
      const killedAt = Date.now();
      await context.killRelay(1);
      return {
        notes: `fresh database on the shared ${label}; instance 2 SIGKILLed after 3 s and left down, traffic then to instance 1 alone; `
          + `lease ${LEASE_MS / 1000} s; the business server answers after ${SINK_DELAY_MS} ms, so attempts are in flight at the kill`,
        breaches: 0,
        afterDrain: () => {
          const { resent, twice } = countResentAfter(context.sink.forwards, killedAt, LEASE_MS - 1000);
          return `${resent} of the ${twice} forwarded twice arrived before the kill and again ≥ ${(LEASE_MS - 1000) / 1000} s later (the survivor's takeover)`;
        },
      };
    }, { trafficMs: 4000, drainMs: 40_000, instances: 2, sinkDelayMs: SINK_DELAY_MS })),
  };
}

export const TWO_INSTANCE_CASES: readonly ChaosCase[] = [
  killOneOfTwo('pg-two', 'postgres', 'PostgreSQL'),
  killOneOfTwo('mysql-two', 'mysql', 'MariaDB'),
];
