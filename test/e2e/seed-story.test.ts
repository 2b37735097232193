import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { RelayProcess } from '../helpers/relay-process.ts';
import { processBackendEnv, send } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson, mediaCheckXml, signQuery } from '../helpers/wechat-signer.ts';

const TOKEN = 'seed-story-token';

/**
 * The seed story end to end: a test and a prod server share one mini program's
 * push URL through a relay running as its own process.
 */
describe('the seed story: WeChat push → relay → the business server that asked', () => {
  let backend: Awaited<ReturnType<typeof processBackendEnv>>;
  let relay: RelayProcess;
  let testServer: BusinessServer;
  let prodServer: BusinessServer;
  let prodFailuresLeft = 2;

  beforeAll(async () => {
    backend = await processBackendEnv();
    testServer = await BusinessServer.start();
    prodServer = await BusinessServer.start((request) => {
      if (request.path === '/wx/flaky' && prodFailuresLeft > 0) {
        prodFailuresLeft -= 1;
        return 502;
      }
      return 200;
    });
    relay = new RelayProcess({
      ...backend.env,
      WECHAT_APPID: 'wx8f16a5be77871234',
      WECHAT_TOKEN: TOKEN,
      RELAY_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms',
      RELAY_SWEEP_INTERVAL_MS: '100',
    });
    await relay.start();
  });
  afterAll(async () => {
    await relay.terminate();
    await testServer.stop();
    await prodServer.stop();
    await backend.drop();
  });

  const register = (traceId: string, serverUri: string, extra: object = {}) =>
    send('POST', `${relay.url}/api/moderate/trace`, { trace_id: traceId, server_uri: serverUri, ...extra });
  const wechatPush = (body: string, contentType = 'application/json') =>
    send('POST', `${relay.url}/api/wechat?${new URLSearchParams(signQuery(TOKEN))}`, body, { 'content-type': contentType });
  const traceOf = async (traceId: string) => (await send('GET', `${relay.url}/api/moderate/trace/${traceId}`)).body;
  const until = (traceId: string, check: (trace: any) => boolean) =>
    waitFor(async () => {
      const trace = await traceOf(traceId);
      return check(trace) ? trace : undefined;
    }, { timeoutMs: 15_000, what: `trace ${traceId}` });

  it('plays the whole story', async () => {
    // 1. Both servers register right after mediaCheckAsync gave them a trace id.
    expect((await register('t-test', `${testServer.url}/wx/media-check`)).status).toBe(201);
    expect((await register('t-prod', `${prodServer.url}/wx/media-check`)).status).toBe(201);
    expect((await register('t-flaky', `${prodServer.url}/wx/flaky`)).status).toBe(201);
    expect((await register('t-silent', `${testServer.url}/wx/silent`, { timeout_s: 1 })).status).toBe(201);
    expect((await register('t-late', `${prodServer.url}/wx/late`, { timeout_s: 1 })).status).toBe(201);

    // 2. WeChat pushes verdicts (JSON and XML); the relay answers success at once.
    const testVerdict = mediaCheckJson('t-test', 'pass');
    const prodVerdict = mediaCheckXml('t-prod', 'risky');
    const flakyVerdict = mediaCheckJson('t-flaky', 'review');
    expect((await wechatPush(testVerdict)).text).toBe('success');
    expect((await wechatPush(prodVerdict, 'text/xml')).text).toBe('success');
    expect((await wechatPush(flakyVerdict)).text).toBe('success');
    // A verdict that arrives before its registration.
    const earlyVerdict = mediaCheckJson('t-early', 'pass');
    expect((await wechatPush(earlyVerdict)).text).toBe('success');
    expect((await register('t-early', `${testServer.url}/wx/early`)).status).toBe(201);

    // 3. Each verdict reaches exactly the server that registered it, byte for byte.
    await until('t-test', (trace) => trace.status === 'delivered');
    await until('t-prod', (trace) => trace.status === 'delivered');
    await until('t-early', (trace) => trace.status === 'delivered');
    const flaky = await until('t-flaky', (trace) => trace.status === 'delivered');
    expect(flaky.attempts.map((attempt: any) => attempt.http_status)).toEqual([502, 502, 200]);
    expect(testServer.requests.find((item) => item.path === '/wx/media-check')?.body.toString()).toBe(testVerdict);
    expect(prodServer.requests.find((item) => item.path === '/wx/media-check')?.body.toString()).toBe(prodVerdict);
    expect(prodServer.requests.find((item) => item.path === '/wx/media-check')?.headers['content-type']).toContain('text/xml');
    expect(testServer.requests.find((item) => item.path === '/wx/early')?.body.toString()).toBe(earlyVerdict);
    expect(testServer.requests.some((item) => item.body.toString().includes('t-prod'))).toBe(false);
    expect(prodServer.requests.some((item) => item.body.toString().includes('t-test'))).toBe(false);

    // 4. No verdict in time: both servers are told; a verdict that comes later is still forwarded, flagged late.
    const silent = await until('t-silent', (trace) => trace.status === 'timed_out' && trace.deliveries[0]?.status === 'delivered');
    expect(silent.error).toBe('WX_TIMEOUT_ERROR');
    await until('t-late', (trace) => trace.status === 'timed_out');
    const lateVerdict = mediaCheckJson('t-late', 'risky');
    expect((await wechatPush(lateVerdict)).text).toBe('success');
    const late = await until('t-late', (trace) => trace.status === 'delivered');
    expect(late.late).toBe(true);
    const lateRequests = prodServer.requests.filter((item) => item.path === '/wx/late');
    expect(lateRequests.map((item) => item.headers['x-relay-event'])).toEqual(['callback.timeout', 'callback.received']);
    expect(lateRequests[1]?.headers['x-relay-late']).toBe('true');
    expect(lateRequests[1]?.body.toString()).toBe(lateVerdict);

    // 5. The metrics tell the same story.
    const metrics = (await send('GET', `${relay.url}/metrics`)).text;
    expect(metrics).toMatch(/relay_deliveries_total\{kind="callback",outcome="delivered"\} 5/);
    expect(metrics).toMatch(/relay_traces_timed_out_total 2/);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await relay.terminate()).toBe(0);
    expect(relay.logLines().some((line) => line.msg === 'stopped cleanly')).toBe(true);
  });
});
