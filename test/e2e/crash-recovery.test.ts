import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { RelayProcess } from '../helpers/relay-process.ts';
import { processBackendEnv, send } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

/** kill -9 at the worst moments loses nothing that was acknowledged. */
describe('crash recovery (kill -9)', () => {
  let backend: Awaited<ReturnType<typeof processBackendEnv>>;
  let business: BusinessServer;
  let shouldHang = true;
  const env = () => ({
    ...backend.env,
    RELAY_RETRY_SCHEDULE: '200ms,200ms,200ms',
    RELAY_ATTEMPT_TIMEOUT_MS: '1000',
    RELAY_SWEEP_INTERVAL_MS: '100',
  });

  beforeAll(async () => {
    backend = await processBackendEnv();
    business = await BusinessServer.start((request) => (request.path === '/hang' && shouldHang ? 'hang' : 200));
  });
  afterAll(async () => {
    await business.stop();
    await backend.drop();
  });

  it('delivers acknowledged pushes and in-flight deliveries after a kill -9 and restart', async () => {
    const first = new RelayProcess(env());
    await first.start();
    // Pushes acknowledged, then the relay dies before (or while) forwarding.
    const traceIds = Array.from({ length: 20 }, (_, i) => `crash-${i}`);
    for (const traceId of traceIds) {
      await send('POST', `${first.url}/api/moderate/trace`, { trace_id: traceId, server_uri: `${business.url}/ok` });
    }
    await send('POST', `${first.url}/api/moderate/trace`, { trace_id: 'in-flight', server_uri: `${business.url}/hang` });
    expect((await send('POST', `${first.url}/api/wechat`, mediaCheckJson('in-flight'), { 'content-type': 'application/json' })).text).toBe('success');
    await waitFor(() => business.requests.some((item) => item.path === '/hang'), { what: 'the in-flight attempt to start' });
    const acked: string[] = [];
    for (const traceId of traceIds) {
      const answer = await send('POST', `${first.url}/api/wechat`, mediaCheckJson(traceId), { 'content-type': 'application/json' });
      if (answer.text === 'success') acked.push(traceId);
    }
    await first.kill();
    expect(acked).toHaveLength(traceIds.length);

    shouldHang = false;
    const second = new RelayProcess(env());
    await second.start();
    try {
      for (const traceId of [...acked, 'in-flight']) {
        await waitFor(async () => (await send('GET', `${second.url}/api/moderate/trace/${traceId}`)).body.status === 'delivered', { timeoutMs: 20_000, what: `${traceId} delivered after restart` });
      }
      // At-least-once: each acknowledged verdict arrived; only the one in flight at the kill may arrive twice.
      for (const traceId of acked) {
        const copies = business.requests.filter((item) => item.path === '/ok' && item.headers['x-relay-trace-id'] === traceId);
        expect(copies.length).toBeGreaterThanOrEqual(1);
      }
      const inFlight = (await send('GET', `${second.url}/api/moderate/trace/in-flight`)).body;
      expect(inFlight.deliveries[0].attempt_count).toBe(2);
    } finally {
      await second.terminate();
    }
  });
});
