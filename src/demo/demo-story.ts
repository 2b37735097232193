import { request } from 'undici';
import { sendMediaCheckPush, type DemoApp } from './wechat-push.ts';

export interface StoryOptions {
  relayUrl: string;
  testUrl: string;
  prodUrl: string;
  app: DemoApp;
  /** Prints one line of the story. */
  say: (line: string) => void;
  /** Seconds before the deadline of the traces meant to time out. */
  shortTimeoutS: number;
  /** Makes trace ids unique per run, so a demo database can be reused. */
  runId: string;
}

export interface StoryTrace {
  label: string;
  traceId: string;
  expected: string;
}

async function call(method: 'GET' | 'POST', url: string, body?: object): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await request(url, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}

/** Polls the relay's status API (as a business server would) until the trace reaches `status`. */
async function untilStatus(options: StoryOptions, traceId: string, status: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await call('GET', `${options.relayUrl}/api/moderate/trace/${encodeURIComponent(traceId)}?app_id=${options.app.appId}`);
    if (answer.body.status === status) return answer.body;
    if (Date.now() > deadline) throw new Error(`${traceId} did not reach ${status} (it is ${String(answer.body.status)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A media check as a server makes it through the relay: WeChat's (here the fake's) trace_id comes back already registered. */
async function mediaCheckThroughRelay(options: StoryOptions): Promise<{ status: number; traceId: string; registered: string }> {
  const response = await request(`${options.relayUrl}/wxapi/wxa/media_check_async?app_id=${options.app.appId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-relay-server-uri': `${options.prodUrl}/wx/media-check` },
    body: JSON.stringify({ media_url: 'https://cdn.example.com/avatar.png', media_type: 2, version: 2, scene: 1, openid: 'o4_t144jTUSEoxydysUA2E234_tc' }),
  });
  const answer = await response.body.json() as { trace_id?: unknown };
  if (typeof answer.trace_id !== 'string') throw new Error(`the media check through the relay answered ${response.statusCode} ${JSON.stringify(answer)}`);
  return { status: response.statusCode, traceId: answer.trace_id, registered: String(response.headers['x-relay-trace-registered']) };
}

/**
 * The relay's story in seven traces: one delivered to each server, one that times
 * out, one that arrives late, one that arrives before its registration, one
 * whose server fails twice before it recovers, and a media check made through the relay.
 */
export async function playStory(options: StoryOptions): Promise<StoryTrace[]> {
  const { say, relayUrl } = options;
  const id = (name: string) => `${options.runId}-${name}`;
  const registerAt = async (who: string, serverUrl: string, traceId: string, timeoutS?: number) => {
    const answer = await call('POST', `${relayUrl}/api/moderate/trace`, { trace_id: traceId, server_uri: `${serverUrl}/wx/media-check`, app_id: options.app.appId, ...(timeoutS ? { timeout_s: timeoutS } : {}) });
    say(`  ${who.padEnd(6)} → relay   register ${traceId}${timeoutS ? ` (deadline in ${timeoutS}s)` : ''}: ${answer.status}`);
  };
  const wechatPush = async (traceId: string, suggest: 'pass' | 'risky' = 'pass') => {
    const answer = await sendMediaCheckPush(relayUrl, options.app, traceId, suggest);
    say(`  wechat → relay   push wxa_media_check ${traceId} (${suggest}, safe mode): ${answer}`);
  };

  say('1. The test server registers a trace; WeChat pushes its verdict; it is forwarded to test.');
  await registerAt('test', options.testUrl, id('test-ok'));
  await wechatPush(id('test-ok'));
  await untilStatus(options, id('test-ok'), 'delivered');

  say('2. The prod server does the same; WeChat repeats the push (as it does without a quick `success`): forwarded once.');
  await registerAt('prod', options.prodUrl, id('prod-ok'));
  await wechatPush(id('prod-ok'), 'risky');
  await wechatPush(id('prod-ok'), 'risky');
  await untilStatus(options, id('prod-ok'), 'delivered');

  say('3. A push comes before its registration: the relay keeps it, and forwards it the moment prod registers.');
  await wechatPush(id('early'));
  await registerAt('prod', options.prodUrl, id('early'));
  await untilStatus(options, id('early'), 'delivered');

  say('4. Prod\'s server is down for a moment: two 503 answers, then it recovers; every attempt is recorded.');
  await registerAt('prod', `${options.prodUrl}/flaky`, id('flaky'));
  await wechatPush(id('flaky'));
  await untilStatus(options, id('flaky'), 'delivered');

  say(`5. No verdict within the deadline (${options.shortTimeoutS}s here, 30 min by default): the server is told WX_TIMEOUT_ERROR.`);
  await registerAt('prod', options.prodUrl, id('timeout'), options.shortTimeoutS);
  await registerAt('test', options.testUrl, id('late'), options.shortTimeoutS);
  await untilStatus(options, id('timeout'), 'timed_out');
  await untilStatus(options, id('late'), 'timed_out');

  say('6. The verdict for the other one arrives after its deadline: still forwarded, marked x-relay-late.');
  await wechatPush(id('late'));
  await untilStatus(options, id('late'), 'delivered');

  say('7. Prod checks an image through the relay, which holds the app\'s access_token: the relay registers WeChat\'s trace_id itself; no registration call anywhere.');
  const viaRelay = await mediaCheckThroughRelay(options);
  say(`  prod   → relay   POST /wxapi/wxa/media_check_async (x-relay-server-uri): ${viaRelay.status}, trace_id ${viaRelay.traceId}, x-relay-trace-registered: ${viaRelay.registered}`);
  await wechatPush(viaRelay.traceId);
  await untilStatus(options, viaRelay.traceId, 'delivered');

  return [
    { label: 'delivered to test', traceId: id('test-ok'), expected: 'delivered' },
    { label: 'delivered to prod (push repeated)', traceId: id('prod-ok'), expected: 'delivered' },
    { label: 'early push, then registration', traceId: id('early'), expected: 'delivered' },
    { label: 'failed twice, then recovered', traceId: id('flaky'), expected: 'delivered' },
    { label: 'timed out', traceId: id('timeout'), expected: 'timed_out' },
    { label: 'late push', traceId: id('late'), expected: 'delivered' },
    { label: 'media check through the relay', traceId: viaRelay.traceId, expected: 'delivered' },
  ];
}
