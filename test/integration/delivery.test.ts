import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, push, register, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

describe('forwarding to the business server', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_ATTEMPT_TIMEOUT_MS: '500' });
    business = await BusinessServer.start();
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  const traceStatus = async (traceId: string, status: string) =>
    waitFor(async () => {
      const trace = (await getTrace(relay, traceId)).body;
      return trace.status === status ? trace : undefined;
    }, { what: `${traceId} → ${status}` });

  it('forwards the body byte for byte with the relay headers and none of WeChat\'s', async () => {
    await register(relay, { trace_id: 'fwd-1', server_uri: `${business.url}/fwd-1?x=1` });
    // Unusual spacing and non-ASCII text must survive untouched.
    const body = '{ "MsgType":"event",  "Event":"wxa_media_check", "trace_id":"fwd-1", "note":"审核通过 ✓" }';
    const response = await push(relay, body, { signature: 'ignored', timestamp: '1', nonce: '2', openid: 'o-user' });
    expect(response.text).toBe('success');
    const trace = await traceStatus('fwd-1', 'delivered');
    const request = business.requests.find((item) => item.path === '/fwd-1?x=1');
    expect(request?.method).toBe('POST');
    expect(request?.body.equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-relay-event': 'callback.received',
      'x-relay-trace-id': 'fwd-1',
      'x-relay-attempt': '1',
    });
    expect(request?.headers['x-relay-late']).toBeUndefined();
    expect(request?.headers['webhook-signature']).toBeUndefined();
    expect(Object.keys(request?.headers ?? {}).some((name) => name.includes('openid') || name === 'signature')).toBe(false);
    expect(trace.attempts).toEqual([expect.objectContaining({ attempt: 1, http_status: 200, outcome: 'success' })]);
  });

  it('retries non-2xx answers on the schedule, recording each attempt, until one succeeds', async () => {
    business.respondWith((request, _index) => {
      if (!request.path.startsWith('/flaky')) return 200;
      const seen = business.requests.filter((item) => item.path.startsWith('/flaky')).length;
      return seen < 3 ? 500 : 204;
    });
    await register(relay, { trace_id: 'fwd-2', server_uri: `${business.url}/flaky` });
    await push(relay, mediaCheckJson('fwd-2'));
    const trace = await traceStatus('fwd-2', 'delivered');
    expect(trace.attempts.map((attempt: { http_status: number }) => attempt.http_status)).toEqual([500, 500, 204]);
    expect(trace.attempts[0].response_excerpt).toBe('nope');
    const attempts = business.requests.filter((item) => item.path === '/flaky').map((item) => item.headers['x-relay-attempt']);
    expect(attempts).toEqual(['1', '2', '3']);
    business.respondWith(() => 200);
  });

  it('gives up after the last attempt: failed with BIZ_SERVER_ERROR, five attempts for four delays', async () => {
    business.respondWith((request) => (request.path === '/down' ? 503 : 200));
    await register(relay, { trace_id: 'fwd-3', server_uri: `${business.url}/down` });
    await push(relay, mediaCheckJson('fwd-3'));
    const trace = await traceStatus('fwd-3', 'failed');
    expect(trace.error).toBe('BIZ_SERVER_ERROR');
    expect(trace.attempts).toHaveLength(5);
    expect(trace.deliveries[0]).toMatchObject({ status: 'failed', attempt_count: 5 });
    business.respondWith(() => 200);
  });

  it('stops at once on 410 Gone', async () => {
    business.respondWith((request) => (request.path === '/gone' ? 410 : 200));
    await register(relay, { trace_id: 'fwd-4', server_uri: `${business.url}/gone` });
    await push(relay, mediaCheckJson('fwd-4'));
    const trace = await traceStatus('fwd-4', 'failed');
    expect(trace.attempts).toHaveLength(1);
    business.respondWith(() => 200);
  });

  it('cuts a hanging server at the attempt timeout and retries; a refused connection is retried too', async () => {
    let hung = false;
    business.respondWith((request) => {
      if (request.path !== '/hang') return 200;
      if (!hung) {
        hung = true;
        return 'hang';
      }
      return 200;
    });
    await register(relay, { trace_id: 'fwd-5', server_uri: `${business.url}/hang` });
    await push(relay, mediaCheckJson('fwd-5'));
    const trace = await traceStatus('fwd-5', 'delivered');
    expect(trace.attempts[0]).toMatchObject({ outcome: 'timeout', http_status: null });
    expect(trace.attempts[0].duration_ms).toBeGreaterThanOrEqual(450);

    await register(relay, { trace_id: 'fwd-6', server_uri: 'http://127.0.0.1:1/refused' });
    await push(relay, mediaCheckJson('fwd-6'));
    const refused = await traceStatus('fwd-6', 'failed');
    expect(refused.attempts[0]).toMatchObject({ outcome: 'network_error' });
    expect(refused.attempts[0].error).toContain('ECONNREFUSED');
    business.respondWith(() => 200);
  });

  it('honours Retry-After by waiting at least that long', async () => {
    business.respondWith((request, _index, response) => {
      if (request.path !== '/busy') return 200;
      if (business.requests.filter((item) => item.path === '/busy').length === 1) {
        response.writeHead(429, { 'retry-after': '1' }).end();
        return 'handled';
      }
      return 200;
    });
    await register(relay, { trace_id: 'fwd-7', server_uri: `${business.url}/busy` });
    await push(relay, mediaCheckJson('fwd-7'));
    await traceStatus('fwd-7', 'delivered');
    const [first, second] = business.requests.filter((item) => item.path === '/busy');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    business.respondWith(() => 200);
  });
});
