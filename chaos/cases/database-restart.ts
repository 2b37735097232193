// One relay on a private database server that is crashed and started again under load.
// While it is down no push or registration may be answered as if stored.
import { runCase, type ChaosCase } from '../lib/chaos-case.ts';
import { answersDuring, describeOutage, preparePushes } from '../lib/outage.ts';
import type { Answer } from '../lib/traffic.ts';
import type { PrivateDatabase } from '../lib/private-database.ts';
import { PrivateMariadb } from '../lib/private-mariadb.ts';
import { PrivatePostgres } from '../lib/private-postgres.ts';
import { readiness } from '../lib/readiness.ts';

const OUTAGE_MS = 5000;
/**
 * A worker retries recording a finished attempt until 5 s before its lease ends;
 * a 15 s lease leaves 10 s, more than the outage, so attempts in flight at the
 * crash are recorded when the server is back rather than sent again.
 */
const LEASE_MS = 15_000;
/** The business server holds each answer this long, so attempts are in flight at the crash. */
const SINK_DELAY_MS = 300;
/** Traces registered just before the crash and pushed during the outage. */
const PUSHES_DURING_OUTAGE = 24;
/** The pace of acknowledgements is compared over this long before the crash and after the server is back. */
const PACE_WINDOW_MS = 5000;

/** Pushes answered `success` per second within [from, to). */
function ackPace(answers: readonly Answer[], from: number, to: number): number {
  return answers.filter((answer) => answer.isDone && answer.answeredAt >= from && answer.answeredAt < to).length / ((to - from) / 1000);
}

function databaseRestart(name: string, label: string, open: () => Promise<PrivateDatabase>): ChaosCase {
  const title = `${label} server crashed mid-load, started again`;
  return {
    name,
    title,
    run: async () => {
      const database = await open();
      try {
        return await runCase(title, { DATABASE_URL: database.url, RELAY_DELIVERY_LEASE_MS: String(LEASE_MS) }, async (context) => {
          await context.sleep(PACE_WINDOW_MS + 500);
          const pushDuring = await preparePushes(context.traffic, PUSHES_DURING_OUTAGE);
          await database.crash();
          const downAt = Date.now();
          // Their three tries each should end before the server is back.
          const pushing = pushDuring(OUTAGE_MS - 1500);
          await context.sleep(OUTAGE_MS);
          const readyWhileDown = await readiness(context.relay()!.url);
          const upAt = Date.now();
          await database.start();
          const backMs = Date.now() - upAt;
          const servingAt = Date.now();
          await pushing;
          // The steady traffic goes on (trafficMs below): how soon is the relay at its earlier pace again?
          await context.sleep(Math.max(0, servingAt + PACE_WINDOW_MS - Date.now()));
          const before = ackPace(context.traffic.answers.pushes, downAt - PACE_WINDOW_MS, downAt);
          const after = ackPace(context.traffic.answers.pushes, servingAt, servingAt + PACE_WINDOW_MS);
          const pushes = answersDuring(context.traffic.answers.pushes, downAt, upAt);
          const registrations = answersDuring(context.traffic.answers.registrations, downAt, upAt);
          return {
            notes: `private ${label} server; ${database.crashHow} after ${(PACE_WINDOW_MS + 500) / 1000} s, started again ${OUTAGE_MS / 1000} s later (serving ${backMs} ms after that); lease ${LEASE_MS / 1000} s, business server answers after ${SINK_DELAY_MS} ms; `
              + `answered while down: ${describeOutage('push tries', pushes)}; ${describeOutage('registration tries', registrations)}; /readyz: ${readyWhileDown}; `
              + `acknowledged pushes/s: ${Math.round(before)} in the ${PACE_WINDOW_MS / 1000} s before the crash, ${Math.round(after)} in the ${PACE_WINDOW_MS / 1000} s after the server was back (${before > 0 ? (after / before).toFixed(2) : '—'} ×; goal ≥ 0.8)`,
            breaches: pushes.done + registrations.done,
          };
        }, { trafficMs: 1000, drainMs: 30_000, sinkDelayMs: SINK_DELAY_MS });
      } finally {
        await database.close();
      }
    },
  };
}

export const DATABASE_RESTART_CASES: readonly ChaosCase[] = [
  databaseRestart('db-restart', 'PostgreSQL', () => PrivatePostgres.create()),
  databaseRestart('db-restart-mysql', 'MariaDB', () => PrivateMariadb.create()),
];
