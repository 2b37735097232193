import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer, type ReceivedRequest } from '../helpers/business-server.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson, mediaCheckXml } from '../helpers/wechat-signer.ts';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** Checks a received request with the reference Standard Webhooks library, not the relay's own code. */
function verifyWith(secret: string, request: ReceivedRequest): unknown {
  const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(request.headers[name])]));
  return new Webhook(secret).verify(request.body, headers, { jsonParse: false });
}

describe('signed forwards (Standard Webhooks)', () => {
  const current = newSecret();
  const next = newSecret();
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_SIGNING_SECRET: `${current} ${next}` });
    // /flaky fails its first attempt so one delivery is sent twice.
    business = await BusinessServer.start((request) => {
      const isFirstFlaky = request.path === '/flaky' && business.requests.filter((item) => item.path === '/flaky').length === 1;
      return isFirstFlaky ? 503 : 200;
    });
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });
  const requestsTo = (path: string) => business.requests.filter((item) => item.path === path);

  it('signs every attempt over the exact bytes sent, verifiable with each rotation secret, with one webhook-id per delivery', async () => {
    await register(relay, { trace_id: 'sig-1', server_uri: `${business.url}/flaky` });
    const body = mediaCheckJson('sig-1', 'risky');
    await push(relay, body);
    await waitFor(() => requestsTo('/flaky').length === 2, { what: 'two attempts' });
    const [first, second] = requestsTo('/flaky');
    for (const request of [first!, second!]) {
      expect(request.body.toString()).toBe(body);
      expect(() => verifyWith(current, request)).not.toThrow();
      expect(() => verifyWith(next, request)).not.toThrow();
      expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    }
    expect(first!.headers['webhook-id']).toBe(second!.headers['webhook-id']);
    expect(first!.headers['x-relay-attempt']).toBe('1');
    expect(second!.headers['x-relay-attempt']).toBe('2');
    expect(() => verifyWith(newSecret(), first!)).toThrow();
    // A changed byte breaks the signature.
    expect(() => verifyWith(current, { ...first!, body: Buffer.from(body.replace('risky', 'pass')) })).toThrow();
  });

  it('signs XML forwards and timeout notices too, and a replay is a new webhook-id', async () => {
    await register(relay, { trace_id: 'sig-2', server_uri: `${business.url}/xml` });
    await push(relay, mediaCheckXml('sig-2'), {}, '/api/wechat', 'text/xml');
    await register(relay, { trace_id: 'sig-3', server_uri: `${business.url}/timeout`, timeout_s: 1 });
    await waitFor(() => requestsTo('/xml').length === 1 && requestsTo('/timeout').length === 1, { what: 'xml forward and timeout notice' });
    const [xml] = requestsTo('/xml');
    const [notice] = requestsTo('/timeout');
    expect(() => verifyWith(current, xml!)).not.toThrow();
    expect(notice!.headers['x-relay-event']).toBe('callback.timeout');
    expect(() => verifyWith(next, notice!)).not.toThrow();
    expect(JSON.parse(notice!.body.toString())).toMatchObject({ type: 'callback.timeout', trace_id: 'sig-3' });

    await waitFor(async () => (await getTrace(relay, 'sig-2')).body.status === 'delivered', { what: 'sig-2 delivered' });
    expect((await send('POST', `${relay.url}/api/moderate/trace/sig-2/replay`)).status).toBe(202);
    await waitFor(() => requestsTo('/xml').length === 2, { what: 'replayed xml' });
    const replayed = requestsTo('/xml')[1]!;
    expect(() => verifyWith(current, replayed)).not.toThrow();
    expect(replayed.headers['webhook-id']).not.toBe(xml!.headers['webhook-id']);
    expect(replayed.body.equals(xml!.body)).toBe(true);
  });
});
