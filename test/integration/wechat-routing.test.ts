import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEvent, genericEvent } from '../../src/simulator/sample-events.ts';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { SAFE_JSON_APP, pushAs, writeRelayConfig } from '../helpers/wechat-config.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('events without a registered id: routing rules, fan-out, unmatched events', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  let audit: BusinessServer;
  beforeAll(async () => {
    business = await BusinessServer.start();
    // The audit server fails its first answer: routed deliveries are retried like any other.
    audit = await BusinessServer.start((_request, index) => (index === 0 ? 503 : 200));
    const app = {
      ...SAFE_JSON_APP,
      correlationFields: { subscribe_msg_sent_event: 'SubscribeMsgSentEvent.List.MsgID' },
      routes: [
        { name: 'trade', msgType: 'event', event: 'trade_manage_order_settlement', destinations: [`${business.url}/trade`, `${audit.url}/audit`] },
        { name: 'messages', msgType: 'text', destinations: [`${business.url}/kf`] },
      ],
    };
    relay = await startRelay({ RELAY_CONFIG: writeRelayConfig({ apps: [app] }, 'json'), RELAY_RETRY_SCHEDULE: '50ms,50ms,50ms' });
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
    await audit.stop();
  });

  const pushJson = (fields: Record<string, unknown>) => {
    const message = formatEvent('json', fields);
    return pushAs(relay, SAFE_JSON_APP, 'safe', message).then((answer) => ({ answer, message }));
  };
  const callbacks = async (query: string) => (await send('GET', `${relay.url}/api/callbacks?${query}`)).body.callbacks as Array<Record<string, unknown>>;

  it('sends a matching event to every destination of its rule, retrying a failing one', async () => {
    const { answer, message } = await pushJson(genericEvent('trade_manage_order_settlement', { transaction_id: '4200001', merchant_trade_no: 'm-1' }));
    expect(answer).toEqual({ status: 200, text: 'success' });
    const trade = await waitFor(() => business.requests.find((item) => item.path === '/trade'), { what: 'trade forward' });
    expect(trade.body.toString('utf8')).toBe(message);
    expect(trade.headers['x-relay-route']).toBe('trade');
    expect(trade.headers['x-relay-trace-id']).toBeUndefined();
    expect(trade.headers['x-relay-event']).toBe('callback.received');
    await audit.waitForRequests(2);
    expect(audit.requests.map((item) => item.body.toString('utf8'))).toEqual([message, message]);

    const [stored] = await callbacks(`app_id=${SAFE_JSON_APP.appId}&state=routed`);
    const detail = await waitFor(async () => {
      const view = (await send('GET', `${relay.url}/api/callbacks/${String(stored?.id)}`)).body;
      return view.deliveries.every((delivery: { status: string }) => delivery.status === 'delivered') ? view : undefined;
    }, { what: 'both routed deliveries delivered' });
    expect(detail.deliveries).toHaveLength(2);
    expect(detail.deliveries.map((delivery: { route: string }) => delivery.route)).toEqual(['trade', 'trade']);
    expect(detail.attempts.map((attempt: { http_status: number }) => attempt.http_status).sort()).toEqual([200, 200, 503]);
  });

  it('forwards a repeat of a routed event only once', async () => {
    const fields = genericEvent('trade_manage_order_settlement', { transaction_id: '4200002' });
    expect((await pushJson(fields)).answer.text).toBe('success');
    expect((await pushJson(fields)).answer.text).toBe('success');
    // The repeat is recorded on the first push (in the same transaction as the answer), with no deliveries of its own.
    const routed = (await callbacks(`app_id=${SAFE_JSON_APP.appId}&state=routed`)).filter((item) => String(item.body).includes('4200002'));
    expect(routed).toHaveLength(1);
    expect(routed[0]?.duplicates).toBe(1);
    const detail = (await send('GET', `${relay.url}/api/callbacks/${String(routed[0]?.id)}`)).body;
    expect(detail.deliveries).toHaveLength(2);
  });

  it('routes user messages by MsgType', async () => {
    const { message } = await pushJson({ ToUserName: 'gh_x', FromUserName: 'o_user', CreateTime: 1, MsgType: 'text', Content: '你好', MsgId: 987654321 });
    const forwarded = await waitFor(() => business.requests.find((item) => item.path === '/kf'), { what: 'kf forward' });
    expect(forwarded.body.toString('utf8')).toBe(message);
  });

  it('stores an event no rule matches, answers success, lists it and counts it', async () => {
    const { answer } = await pushJson(genericEvent('user_authorization_revoke', { OpenID: 'o_revoked' }));
    expect(answer.text).toBe('success');
    const unmatched = await callbacks(`app_id=${SAFE_JSON_APP.appId}&state=unrouted`);
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]).toMatchObject({ event: 'event/user_authorization_revoke', state: 'unrouted', correlation_id: null });
    expect(String(unmatched[0]?.body)).toContain('o_revoked');
    const metrics = (await send('GET', `${relay.url}/metrics`)).text;
    expect(metrics).toContain(`relay_pushes_unmatched_total{app_id="${SAFE_JSON_APP.appId}"} 1`);
    expect(metrics).toMatch(/relay_pushes_received_total\{outcome="routed"\} [1-9]/);
  });

  it('correlates another id-keyed event through its configured field, registered like a media check', async () => {
    await register(relay, { trace_id: '1700000000001', server_uri: `${business.url}/subscribe`, app_id: SAFE_JSON_APP.appId });
    const event = genericEvent('subscribe_msg_sent_event', { SubscribeMsgSentEvent: { List: { TemplateId: 't-1', MsgID: '1700000000001', ErrorCode: 0, ErrorStatus: 'success' } } });
    const { message } = await pushJson(event);
    const forwarded = await waitFor(() => business.requests.find((item) => item.path === '/subscribe'), { what: 'subscribe forward' });
    expect(forwarded.body.toString('utf8')).toBe(message);
    expect(forwarded.headers['x-relay-trace-id']).toBe('1700000000001');
    await waitFor(async () => (await getTrace(relay, '1700000000001', SAFE_JSON_APP.appId)).body.status === 'delivered', { what: 'subscribe trace delivered' });
    const missing = await pushJson(genericEvent('subscribe_msg_sent_event', { SubscribeMsgSentEvent: { List: [] } }));
    expect(missing.answer.status).toBe(400);
    expect(JSON.parse(missing.answer.text).error.code).toBe('MISSING_TRACE_ID');
  });

  it('refuses bad filters on the callbacks API', async () => {
    expect((await send('GET', `${relay.url}/api/callbacks?state=nope`)).body.error.code).toBe('INVALID_FIELD');
    expect((await send('GET', `${relay.url}/api/callbacks?limit=0`)).status).toBe(400);
    expect((await send('GET', `${relay.url}/api/callbacks/not-an-id`)).status).toBe(404);
  });
});
