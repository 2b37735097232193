/**
 * How long a healthy server waits behind a dead one: 30 deliveries to a server
 * that never answers, then one to a healthy server, with the per-origin cap and
 * circuit breaker on and off. Run: `node bench/dead-destination.ts`.
 */
import { BusinessServer } from '../test/helpers/business-server.ts';
import { getTrace, push, register, startRelay } from '../test/helpers/relay-harness.ts';
import { waitFor } from '../test/helpers/wait-for.ts';
import { mediaCheckJson } from '../test/helpers/wechat-signer.ts';

async function run(label: string, env: Record<string, string>): Promise<void> {
  const relay = await startRelay({ RELAY_WORKER_CONCURRENCY: '4', RELAY_ATTEMPT_TIMEOUT_MS: '2000', ...env });
  const dead = await BusinessServer.start(() => 'hang');
  const healthy = await BusinessServer.start();
  try {
    for (let index = 0; index < 30; index += 1) {
      await register(relay, { trace_id: `dead-${index}`, server_uri: `${dead.url}/hook` });
      await push(relay, mediaCheckJson(`dead-${index}`));
    }
    await register(relay, { trace_id: 'alive', server_uri: `${healthy.url}/hook` });
    const started = performance.now();
    await push(relay, mediaCheckJson('alive'));
    await waitFor(async () => (await getTrace(relay, 'alive')).body.status === 'delivered', { timeoutMs: 120_000, intervalMs: 10 });
    console.log(`${label}: healthy delivered after ${Math.round(performance.now() - started)} ms; dead server saw ${dead.requests.length} requests`);
  } finally {
    await relay.close();
    await dead.stop();
    await healthy.stop();
  }
}

await run('protection on (cap 2, breaker 3)', { RELAY_DESTINATION_CONCURRENCY: '2', RELAY_BREAKER_FAILURES: '3' });
await run('protection off', { RELAY_DESTINATION_CONCURRENCY: '1024', RELAY_BREAKER_FAILURES: '0' });
