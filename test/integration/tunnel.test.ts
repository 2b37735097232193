import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { TestListener } from '../helpers/tunnel-listener.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson, mediaCheckXml } from '../helpers/wechat-signer.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('dev tunnel: delivery over callback-relay listen', () => {
  let relay: TestRelay;
  let local: BusinessServer;
  let direct: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_SIGNING_SECRET: SECRET, RELAY_ATTEMPT_TIMEOUT_MS: '1500' });
    local = await BusinessServer.start();
    direct = await BusinessServer.start();
  });
  afterAll(async () => {
    await relay.close();
    await local.stop();
    await direct.stop();
  });

  const traceStatus = (traceId: string, status: string, timeoutMs = 10_000) => waitFor(async () => {
    const trace = (await getTrace(relay, traceId)).body;
    return trace.status === status ? trace : undefined;
  }, { what: `${traceId} → ${status}`, timeoutMs });

  it('delivers byte for byte with the headers a direct delivery has, and records the attempt', async () => {
    const listener = await TestListener.connect(relay.url, 'alice', `${local.url}/wx`);
    try {
      const json = '{ "MsgType":"event",  "Event":"wxa_media_check", "trace_id":"tun-json",\n "note":"审核通过 ✓ — ok" }';
      await register(relay, { trace_id: 'tun-json', server_uri: 'tunnel://alice/media?k=1' });
      await register(relay, { trace_id: 'tun-direct', server_uri: `${direct.url}/media` });
      await register(relay, { trace_id: 'tun-xml', server_uri: 'tunnel://alice' });
      expect((await push(relay, json)).text).toBe('success');
      expect((await push(relay, mediaCheckJson('tun-direct'))).text).toBe('success');
      expect((await push(relay, mediaCheckXml('tun-xml'), {}, '/api/wechat', 'text/xml')).text).toBe('success');
      const trace = await traceStatus('tun-json', 'delivered');
      await traceStatus('tun-xml', 'delivered');
      await traceStatus('tun-direct', 'delivered');

      const viaTunnel = local.requests.find((item) => item.headers['x-relay-trace-id'] === 'tun-json');
      expect(viaTunnel?.path).toBe('/wx/media?k=1');
      expect(viaTunnel?.body.equals(Buffer.from(json, 'utf8'))).toBe(true);
      const xml = local.requests.find((item) => item.headers['x-relay-trace-id'] === 'tun-xml');
      expect(xml?.path).toBe('/wx');
      expect(xml?.body.toString('utf8')).toBe(mediaCheckXml('tun-xml'));
      // The same relay headers as a direct delivery, nothing more, nothing less.
      const relayHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((name) => name.startsWith('x-relay-') || name.startsWith('webhook-') || name === 'content-type' || name === 'user-agent').sort();
      const directRequest = direct.requests.find((item) => item.headers['x-relay-trace-id'] === 'tun-direct');
      expect(relayHeaders(viaTunnel?.headers ?? {})).toEqual(relayHeaders(directRequest?.headers ?? {}));
      expect(viaTunnel?.headers['webhook-signature']).toMatch(/^v1,/);
      expect(viaTunnel?.headers).toMatchObject({ 'content-type': 'application/json', 'x-relay-event': 'callback.received', 'x-relay-attempt': '1' });
      // Pushes for other trace ids never reach the tunnel.
      expect(local.requests.some((item) => item.headers['x-relay-trace-id'] === 'tun-direct')).toBe(false);

      expect(trace.attempts).toHaveLength(1);
      expect(trace.attempts[0]).toMatchObject({ http_status: 200, outcome: 'success', response_excerpt: 'ok' });
      expect(listener.deliveries().map((event) => event.frame.traceId).sort()).toEqual(['tun-json', 'tun-xml']);
      expect((await send('GET', `${relay.url}/metrics`)).text).toMatch(/^relay_tunnel_listeners 1$/m);
    } finally {
      listener.stop();
    }
  });

  it('keeps deliveries while nobody listens, without spending attempts, and sends them in order on connect', async () => {
    const ids = ['wait-1', 'wait-2', 'wait-3', 'wait-4'];
    for (const id of ids) await register(relay, { trace_id: id, server_uri: 'tunnel://bob' });
    for (const id of ids) expect((await push(relay, mediaCheckJson(id))).text).toBe('success');
    // Four 100 ms retries would have run out by now if attempts were being spent.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const id of ids) {
      const trace = (await getTrace(relay, id)).body;
      expect(trace.status).toBe('delivering');
      expect(trace.attempts).toHaveLength(0);
    }
    const listener = await TestListener.connect(relay.url, 'bob', `${local.url}/bob`);
    try {
      for (const id of ids) await traceStatus(id, 'delivered');
      const arrived = local.requests.filter((item) => item.path === '/bob').map((item) => item.headers['x-relay-trace-id']);
      expect(arrived).toEqual(ids);
    } finally {
      listener.stop();
    }
  });

  it('shares the work of one name between two listeners, each delivery to one of them', async () => {
    const first = await TestListener.connect(relay.url, 'carol', `${local.url}/carol`);
    const second = await TestListener.connect(relay.url, 'carol', `${local.url}/carol`);
    // Slow answers keep deliveries in flight, so the least busy listener differs from one to the next.
    local.respondWith((request, _index, response) => {
      if (request.path !== '/carol') return 200;
      setTimeout(() => response.writeHead(200).end('ok'), 300);
      return 'handled';
    });
    const ids = Array.from({ length: 8 }, (_, i) => `share-${i}`);
    try {
      for (const id of ids) await register(relay, { trace_id: id, server_uri: 'tunnel://carol' });
      for (const id of ids) await push(relay, mediaCheckJson(id));
      for (const id of ids) await traceStatus(id, 'delivered');
      const byFirst = first.deliveries().map((event) => event.frame.traceId);
      const bySecond = second.deliveries().map((event) => event.frame.traceId);
      expect(byFirst.length).toBeGreaterThan(0);
      expect(bySecond.length).toBeGreaterThan(0);
      expect([...byFirst, ...bySecond].sort()).toEqual([...ids].sort());
    } finally {
      local.respondWith(() => 200);
      first.stop();
      second.stop();
    }
  });
});
