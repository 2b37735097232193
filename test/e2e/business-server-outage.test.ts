import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { RelayProcess } from '../helpers/relay-process.ts';
import { processBackendEnv, send } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

/** Short version of the chaos case: the business server is down for a stretch (a deploy), then back. */
describe('business server outage', () => {
  let backend: Awaited<ReturnType<typeof processBackendEnv>>;
  let relay: RelayProcess;
  let business: BusinessServer;
  beforeAll(async () => {
    backend = await processBackendEnv();
    business = await BusinessServer.start();
    relay = new RelayProcess({ ...backend.env, RELAY_RETRY_SCHEDULE: '200ms,400ms,800ms,800ms,800ms,800ms,800ms,800ms' });
    await relay.start();
  });
  afterAll(async () => {
    await relay.terminate();
    await business.stop();
    await backend.drop();
  });

  it('delivers everything acknowledged during the outage once the server is back', async () => {
    await business.stop();
    const traceIds = Array.from({ length: 30 }, (_, i) => `outage-${i}`);
    for (const traceId of traceIds) {
      expect((await send('POST', `${relay.url}/api/moderate/trace`, { trace_id: traceId, server_uri: `${business.url}/cb` })).status).toBe(201);
      expect((await send('POST', `${relay.url}/api/wechat`, mediaCheckJson(traceId), { 'content-type': 'application/json' })).text).toBe('success');
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await business.restart();
    await waitFor(() => new Set(business.requests.map((item) => item.headers['x-relay-trace-id'])).size === traceIds.length, { timeoutMs: 20_000, what: 'all verdicts delivered' });
    // The business server sees the request a moment before the relay records the answer.
    const trace = await waitFor(async () => {
      const view = (await send('GET', `${relay.url}/api/moderate/trace/outage-0`)).body;
      return view.status === 'delivered' ? view : undefined;
    }, { what: 'outage-0 recorded as delivered' });
    expect(trace.attempts.length).toBeGreaterThan(1);
    expect(trace.attempts[0].outcome).toBe('network_error');
  });
});
