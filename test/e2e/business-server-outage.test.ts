import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { RelayProcess } from '../helpers/relay-process.ts';
import { send } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

/** Short version of the chaos case: the business server is down for a stretch (a deploy), then back. */
describe('business server outage', () => {
  let dir: string;
  let relay: RelayProcess;
  let business: BusinessServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-outage-'));
    business = await BusinessServer.start();
    relay = new RelayProcess({ DATABASE_URL: `sqlite:${join(dir, 'relay.db')}`, RELAY_RETRY_SCHEDULE: '200ms,400ms,800ms,800ms,800ms,800ms,800ms,800ms' });
    await relay.start();
  });
  afterAll(async () => {
    await relay.terminate();
    await business.stop();
    rmSync(dir, { recursive: true, force: true });
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
    const trace = (await send('GET', `${relay.url}/api/moderate/trace/outage-0`)).body;
    expect(trace.status).toBe('delivered');
    expect(trace.attempts.length).toBeGreaterThan(1);
    expect(trace.attempts[0].outcome).toBe('network_error');
  });
});
