import { createServer } from 'node:net';
import { request } from 'undici';
import { RELAY_BIN, startProcess, type ServerProcess } from '../../bench/lib/processes.ts';
import { CountingSink } from './counting-sink.ts';
import { tally, Traffic } from './traffic.ts';

export interface CaseOutcome {
  name: string;
  sent: number;
  acknowledged: number;
  forwarded: number;
  lost: number;
  forwardedTwice: number;
  notes: string;
  /** Answers that broke the contract other than by loss (e.g. `success` while the database was down). */
  breaches?: number;
  /** Why the case did not run (a service it needs did not answer). */
  skipped?: string;
}

/** A case of `npm run chaos`: `name` selects it in CHAOS_CASES, `title` heads its row. */
export interface ChaosCase {
  name: string;
  title: string;
  /** `dir` is a temporary folder of the run, removed at the end. */
  run: (dir: string) => Promise<CaseOutcome>;
}

/** A free loopback port, so a restarted relay comes back at the same address. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface CaseContext {
  sink: CountingSink;
  traffic: Traffic;
  /** Starts (again) relay instance `index` (default 0) on its own port. */
  startRelay: (index?: number) => Promise<ServerProcess>;
  relay: (index?: number) => ServerProcess | undefined;
  /** SIGKILL of instance `index`; traffic stops going to it until it is started again. */
  killRelay: (index?: number) => Promise<void>;
  sleep: (ms: number) => Promise<void>;
}

/** What a fault reports: notes for the table, and how many answers broke the contract. */
export interface FaultReport {
  notes: string;
  breaches: number;
  /** More notes, read once the case has drained (e.g. what was sent again after a lease ran out). */
  afterDrain?: () => string;
}

export interface CaseOptions {
  trafficMs: number;
  drainMs: number;
  /** Relay processes sharing the case's database, traffic spread over the live ones. Default 1. */
  instances?: number;
  /** How long the business server holds each answer, ms. Default 0. */
  sinkDelayMs?: number;
}

/** How long a claim holds a delivery (RELAY_DELIVERY_LEASE_MS); must exceed the 2 s attempt timeout. */
export const LEASE_MS = 5000;

/** Short timeouts so a case plays out in seconds; no registration rate limit, as traffic comes from one address. */
const RELAY_ENV = {
  HOST: '127.0.0.1', RELAY_SWEEP_INTERVAL_MS: '200', RELAY_RETRY_SCHEDULE: '200ms,500ms,1s,1s,2s,2s,2s,2s,2s,2s,2s,2s',
  RELAY_ATTEMPT_TIMEOUT_MS: '2000', RELAY_DELIVERY_LEASE_MS: String(LEASE_MS), RELAY_REGISTRATION_RATE_LIMIT: '0',
  // The traffic pushes from this machine in plain mode, unsigned: what is measured is durability.
  RELAY_ACCEPT_UNSIGNED_PUSHES: 'true',
};

/**
 * Runs traffic against one or more relays on one database, applies `fault` while
 * it flows, then waits until everything acknowledged was forwarded (or `drainMs`
 * passes) and counts. `fault` returns the case's notes (and breaches, if it counts any).
 */
export async function runCase(name: string, env: Record<string, string>, fault: (context: CaseContext) => Promise<string | FaultReport>, options: CaseOptions): Promise<CaseOutcome> {
  const sink = new CountingSink(options.sinkDelayMs);
  await sink.start();
  const ports = await Promise.all(Array.from({ length: options.instances ?? 1 }, () => freePort()));
  const relays: Array<ServerProcess | undefined> = ports.map(() => undefined);
  let turn = 0;
  const liveUrl = () => {
    const live = ports.filter((_port, index) => relays[index] !== undefined);
    return `http://127.0.0.1:${live.length > 0 ? live[turn++ % live.length] : ports[0]}`;
  };
  const traffic = new Traffic(liveUrl, sink.url, name.replace(/\W+/g, '-'));
  const context: CaseContext = {
    sink,
    traffic,
    relay: (index = 0) => relays[index],
    startRelay: async (index = 0) => {
      const relay = await startProcess(RELAY_BIN, ['start'], { ...RELAY_ENV, PORT: String(ports[index]), ...env });
      relays[index] = relay;
      return relay;
    },
    killRelay: async (index = 0) => {
      const relay = relays[index];
      relays[index] = undefined;
      if (!relay || relay.child.exitCode !== null || relay.child.signalCode !== null) return;
      const exited = new Promise((resolve) => relay.child.once('exit', resolve));
      relay.child.kill('SIGKILL');
      await exited;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  let isFlowing = false;
  try {
    // One after the other: the first migrates a fresh database, the next finds it done.
    for (let index = 0; index < ports.length; index += 1) await context.startRelay(index);
    traffic.start();
    isFlowing = true;
    const reported = await fault(context);
    const report = typeof reported === 'string' ? { notes: reported, breaches: 0 } : reported;
    await context.sleep(options.trafficMs);
    isFlowing = false;
    await traffic.stop();
    const deadline = Date.now() + options.drainMs;
    // Settled: every acknowledged push forwarded, and no delivery left half done (a lease nobody took over).
    const isSettled = async () => tally(traffic.counts.acknowledged, sink.forwards).lost.length === 0 && (await countDelivering(liveUrl())) === 0;
    while (Date.now() < deadline && !(await isSettled())) await context.sleep(200);
    const result = tally(traffic.counts.acknowledged, sink.forwards);
    if (result.lost.length > 0) console.error(`${name}: lost ${result.lost.slice(0, 10).join(', ')}${result.lost.length > 10 ? ', …' : ''}`);
    const delivering = await countDelivering(liveUrl());
    const drained = report.afterDrain ? `; ${report.afterDrain()}` : '';
    const unsettled = delivering === 0 ? '' : `; **${delivering < 0 ? 'unknown number of' : delivering} traces still delivering**`;
    return {
      name, sent: traffic.counts.sent, acknowledged: traffic.counts.acknowledged.size, forwarded: result.forwarded,
      lost: result.lost.length, forwardedTwice: result.twice, notes: `${report.notes}${drained}${unsettled}`, breaches: report.breaches + Math.abs(delivering),
    };
  } finally {
    if (isFlowing) await traffic.stop();
    await Promise.all(relays.map((relay) => relay?.stop()));
    await sink.stop();
  }
}

/** Traces still being forwarded (at most one page of them), or -1 when the relay does not answer. */
async function countDelivering(relayUrl: string): Promise<number> {
  try {
    const response = await request(`${relayUrl}/api/admin/traces?status=delivering&limit=200`);
    const body = await response.body.json() as { traces?: unknown[] };
    return response.statusCode === 200 ? body.traces?.length ?? -1 : -1;
  } catch {
    return -1;
  }
}
