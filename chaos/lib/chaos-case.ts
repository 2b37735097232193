import { createServer } from 'node:net';
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
  startRelay: () => Promise<ServerProcess>;
  relay: () => ServerProcess | undefined;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Runs traffic against a relay, applies `fault` while it flows, then waits until
 * everything acknowledged was forwarded (or `drainMs` passes) and counts.
 */
export async function runCase(name: string, env: Record<string, string>, fault: (context: CaseContext) => Promise<string>, options: { trafficMs: number; drainMs: number }): Promise<CaseOutcome> {
  const sink = new CountingSink();
  await sink.start();
  const port = await freePort();
  let relay: ServerProcess | undefined;
  const context: CaseContext = {
    sink,
    relay: () => relay,
    startRelay: async () => {
      relay = await startProcess(RELAY_BIN, ['start'], { HOST: '127.0.0.1', PORT: String(port), RELAY_SWEEP_INTERVAL_MS: '200', RELAY_RETRY_SCHEDULE: '200ms,500ms,1s,1s,2s,2s,2s,2s,2s,2s,2s,2s', RELAY_ATTEMPT_TIMEOUT_MS: '2000', ...env });
      return relay;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  await context.startRelay();
  const traffic = new Traffic(() => `http://127.0.0.1:${port}`, sink.url, name.replace(/\W+/g, '-'));
  traffic.start();
  const notes = await fault(context);
  await context.sleep(options.trafficMs);
  await traffic.stop();
  const deadline = Date.now() + options.drainMs;
  while (Date.now() < deadline && tally(traffic.counts.acknowledged, sink.forwards).lost.length > 0) await context.sleep(200);
  const result = tally(traffic.counts.acknowledged, sink.forwards);
  await relay?.stop();
  await sink.stop();
  return { name, sent: traffic.counts.sent, acknowledged: traffic.counts.acknowledged.size, forwarded: result.forwarded, lost: result.lost.length, forwardedTwice: result.twice, notes };
}
