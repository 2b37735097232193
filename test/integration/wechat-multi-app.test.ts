import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEvent, mediaCheckEvent } from '../../src/simulator/sample-events.ts';
import { sha1Sorted } from '../../src/providers/wechat/signature.ts';
import { buildSimulatedPush, sendSimulatedPush } from '../../src/simulator/simulated-push.ts';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { COMPAT_XML_APP, SAFE_JSON_APP, pushAs, writeRelayConfig } from '../helpers/wechat-config.ts';
import { waitFor } from '../helpers/wait-for.ts';
import * as V from '../fixtures/wechat-vectors.ts';

describe('two mini programs: safe-mode JSON and compatible-mode XML', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  let other: BusinessServer;
  beforeAll(async () => {
    business = await BusinessServer.start();
    other = await BusinessServer.start();
    const vectorRoute = (name: string) => [{ name, msgType: 'event', event: 'debug_demo', destinations: [`${business.url}/${name}`] }];
    const config = writeRelayConfig({
      apps: [
        SAFE_JSON_APP,
        COMPAT_XML_APP,
        // The official vectors' apps, so their exact requests can be replayed over HTTP.
        { appId: 'wxba5fad812f8e6fb9', token: 'AAAAA', encodingAesKey: 'A'.repeat(43), format: 'json', mode: 'safe', routes: vectorRoute('v3') },
        { appId: 'wx134c8103faa5a59e', token: 'AAAAA', encodingAesKey: 'A'.repeat(43), format: 'xml', routes: vectorRoute('v5') },
        { appId: 'wx2c2769f8efd9abc2', token: 'spamtest', encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', format: 'xml', mode: 'compatible', routes: [{ name: 'v6', msgType: 'text', destinations: [`${business.url}/v6`] }] },
        { appId: 'wxb11529c136998cb6', token: 'pamtest', encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', routes: [{ name: 'v8', destinations: [`${business.url}/v8`] }] },
      ],
    });
    relay = await startRelay({ RELAY_CONFIG: config });
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
    await other.stop();
  });

  const requestsTo = (server: BusinessServer, path: string) => server.requests.filter((item) => item.path === path);
  const firstRequestTo = (server: BusinessServer, path: string) =>
    waitFor(() => requestsTo(server, path)[0], { what: `a request to ${path}` });

  it('delivers each app\'s push to the server registered under that app, decrypted, byte for byte', async () => {
    const jsonMessage = formatEvent('json', mediaCheckEvent({ appId: SAFE_JSON_APP.appId, traceId: 'shared-trace-1', suggest: 'risky' }));
    const xmlMessage = formatEvent('xml', mediaCheckEvent({ appId: COMPAT_XML_APP.appId, traceId: 'shared-trace-1' }));
    // The same trace_id in both apps: trace ids are unique per app, not globally.
    expect((await register(relay, { trace_id: 'shared-trace-1', server_uri: `${business.url}/json-app`, app_id: SAFE_JSON_APP.appId })).status).toBe(201);
    expect((await register(relay, { trace_id: 'shared-trace-1', server_uri: `${other.url}/xml-app`, app_id: COMPAT_XML_APP.appId })).status).toBe(201);

    expect(await pushAs(relay, SAFE_JSON_APP, 'safe', jsonMessage)).toEqual({ status: 200, text: 'success' });
    expect(await pushAs(relay, COMPAT_XML_APP, 'compatible', xmlMessage)).toEqual({ status: 200, text: 'success' });

    const jsonForward = await firstRequestTo(business, '/json-app');
    expect(jsonForward.body.toString('utf8')).toBe(jsonMessage);
    expect(jsonForward.headers['content-type']).toBe('application/json');
    expect(jsonForward.headers['x-relay-trace-id']).toBe('shared-trace-1');
    const xmlForward = await firstRequestTo(other, '/xml-app');
    expect(xmlForward.body.toString('utf8')).toBe(xmlMessage);
    expect(xmlForward.headers['content-type']).toContain('text/xml');
    for (const appId of [SAFE_JSON_APP.appId, COMPAT_XML_APP.appId]) {
      await waitFor(async () => (await getTrace(relay, 'shared-trace-1', appId)).body.status === 'delivered', { what: `trace of ${appId} delivered` });
    }
    expect(requestsTo(business, '/xml-app')).toHaveLength(0);
    expect(requestsTo(other, '/json-app')).toHaveLength(0);
  });

  it('never hands a push to a registration of another app', async () => {
    await register(relay, { trace_id: 'app-b-only', server_uri: `${other.url}/b-only`, app_id: COMPAT_XML_APP.appId });
    const message = formatEvent('json', mediaCheckEvent({ appId: SAFE_JSON_APP.appId, traceId: 'app-b-only' }));
    expect((await pushAs(relay, SAFE_JSON_APP, 'safe', message)).text).toBe('success');
    const parked = await send('GET', `${relay.url}/api/callbacks?app_id=${SAFE_JSON_APP.appId}&state=parked`);
    expect(parked.body.callbacks.map((item: { correlation_id: string }) => item.correlation_id)).toContain('app-b-only');
    expect((await getTrace(relay, 'app-b-only', COMPAT_XML_APP.appId)).body.status).toBe('pending');
    expect(requestsTo(other, '/b-only')).toHaveLength(0);
  });

  it('takes a compatible-mode push from its ciphertext, not from the plaintext fields beside it', async () => {
    await register(relay, { trace_id: 'compat-real', server_uri: `${other.url}/compat-real`, app_id: COMPAT_XML_APP.appId });
    await register(relay, { trace_id: 'compat-evil', server_uri: `${other.url}/compat-evil`, app_id: COMPAT_XML_APP.appId });
    const message = formatEvent('xml', mediaCheckEvent({ appId: COMPAT_XML_APP.appId, traceId: 'compat-real', suggest: 'risky' }));
    const genuine = buildSimulatedPush({ ...COMPAT_XML_APP, message });
    // Only Encrypt is covered by msg_signature: rewrite the plaintext copy as an attacker could.
    const tampered = { ...genuine, body: genuine.body.replace('compat-real', 'compat-evil').replace('risky', 'pass') };
    expect(tampered.body).not.toBe(genuine.body);
    expect((await sendSimulatedPush(`${relay.url}/api/wechat/${COMPAT_XML_APP.appId}`, tampered)).text).toBe('success');
    expect((await firstRequestTo(other, '/compat-real')).body.toString('utf8')).toBe(message);
    expect((await getTrace(relay, 'compat-evil', COMPAT_XML_APP.appId)).body.status).toBe('pending');
  });

  it('checks msg_signature over the decoded Encrypt value, so a JSON body escaping / as \\/ is accepted', async () => {
    await register(relay, { trace_id: 'escaped-slash', server_uri: `${business.url}/escaped`, app_id: SAFE_JSON_APP.appId });
    const message = formatEvent('json', mediaCheckEvent({ appId: SAFE_JSON_APP.appId, traceId: 'escaped-slash' }));
    let push = buildSimulatedPush({ ...SAFE_JSON_APP, message });
    for (let i = 0; i < 50 && !push.body.includes('/'); i += 1) push = buildSimulatedPush({ ...SAFE_JSON_APP, message });
    const escaped = { ...push, body: push.body.replaceAll('/', '\\/') };
    expect(escaped.body).toContain('\\/');
    expect((await sendSimulatedPush(`${relay.url}/api/wechat/${SAFE_JSON_APP.appId}`, escaped)).text).toBe('success');
    expect((await firstRequestTo(business, '/escaped')).body.toString('utf8')).toBe(message);
  });

  it('answers URL verification per app in every mode', async () => {
    for (const app of [SAFE_JSON_APP, COMPAT_XML_APP]) {
      const query = { timestamp: '1714036504', nonce: '1514711492', echostr: `echo-${app.appId}`, signature: sha1Sorted([app.token, '1714036504', '1514711492']) };
      const answer = await send('GET', `${relay.url}/api/wechat/${app.appId}?${new URLSearchParams(query)}`);
      expect(answer.text).toBe(`echo-${app.appId}`);
      const wrong = await send('GET', `${relay.url}/api/wechat/${app.appId}?${new URLSearchParams({ ...query, signature: sha1Sorted(['x', '1', '2']) })}`);
      expect(wrong.status).toBe(401);
    }
  });

  it('replays the official safe-mode JSON vector V3 over HTTP and forwards its plaintext exactly', async () => {
    const query = 'signature=6c5c811b55cc85e0e1b54100749188c20beb3f5d&timestamp=1714112445&nonce=415670741&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature=046e02f8204d34f8ba5fa3b1db94908f3df2e9b3';
    const answer = await send('POST', `${relay.url}/api/wechat/wxba5fad812f8e6fb9?${query}`, V.v3Body, { 'content-type': 'application/json' });
    expect(answer.text).toBe('success');
    expect((await firstRequestTo(business, '/v3')).body.toString('utf8')).toBe(V.v3Msg);
  });

  it('replays the official safe-mode XML vector V5 over HTTP', async () => {
    const query = 'signature=cc0c594499c1634947d5b502f158ee518947db27&timestamp=1715943329&nonce=1590219412&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature=6c12a4205838198b8fa631b3220723bb07f1015c';
    const answer = await send('POST', `${relay.url}/api/wechat/wx134c8103faa5a59e?${query}`, V.v5Body, { 'content-type': 'text/xml' });
    expect(answer.text).toBe('success');
    const forwarded = await firstRequestTo(business, '/v5');
    expect(forwarded.body.toString('utf8')).toBe(V.v5Msg);
    expect(forwarded.headers['x-relay-route']).toBe('v5');
  });

  it('replays the non-zero-key compatible-mode vector V6 and the EasyWeChat vector V8', async () => {
    const v6 = { signature: sha1Sorted(['spamtest', '1409735669', '1320562132']), timestamp: '1409735669', nonce: '1320562132', encrypt_type: 'aes', msg_signature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa' };
    expect((await push(relay, V.v6Body, v6, '/api/wechat/wx2c2769f8efd9abc2', 'text/xml')).text).toBe('success');
    expect((await firstRequestTo(business, '/v6')).body.toString('utf8')).toBe(V.v6Msg);
    const v8Body = `<xml><ToUserName><![CDATA[asdasdasd]]></ToUserName><Encrypt><![CDATA[${V.v8Encrypt}]]></Encrypt></xml>`;
    const v8 = { signature: sha1Sorted(['pamtest', '1458300676', '260774613']), timestamp: '1458300676', nonce: '260774613', encrypt_type: 'aes', msg_signature: '4f3ad57b6989f09f4eb392acce4f9e93942ed890' };
    expect((await push(relay, v8Body, v8, '/api/wechat/wxb11529c136998cb6', 'text/xml')).text).toBe('success');
    expect((await firstRequestTo(business, '/v8')).body.toString('utf8')).toBe(V.v8Msg);
  });

  it('refuses a JSON push in the XML app and an XML push in the JSON app, clearly, storing nothing', async () => {
    const before = (await send('GET', `${relay.url}/api/callbacks?limit=200`)).body.callbacks.length;
    const json = await pushAs(relay, COMPAT_XML_APP, 'compatible', formatEvent('json', mediaCheckEvent({ appId: COMPAT_XML_APP.appId, traceId: 'fmt-1' })));
    expect(json.status).toBe(415);
    expect(JSON.parse(json.text).error).toMatchObject({ code: 'PUSH_FORMAT_MISMATCH', message: expect.stringContaining('configured for XML') });
    const xml = await pushAs(relay, SAFE_JSON_APP, 'safe', formatEvent('xml', mediaCheckEvent({ appId: SAFE_JSON_APP.appId, traceId: 'fmt-2' })));
    expect(xml.status).toBe(415);
    expect(JSON.parse(xml.text).error.code).toBe('PUSH_FORMAT_MISMATCH');
    expect((await send('GET', `${relay.url}/api/callbacks?limit=200`)).body.callbacks).toHaveLength(before);
  });

  it('refuses an unencrypted push to an app in safe or compatible mode', async () => {
    for (const app of [SAFE_JSON_APP, COMPAT_XML_APP]) {
      const message = formatEvent(app.format, mediaCheckEvent({ appId: app.appId, traceId: 'plain-in-safe' }));
      const answer = await pushAs(relay, app, 'plain', message);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.text).error.code).toBe('ENCRYPTION_REQUIRED');
    }
  });

  it('answers 404 for an unknown appid and stores nothing', async () => {
    const before = (await send('GET', `${relay.url}/api/callbacks?limit=200`)).body.callbacks.length;
    const answer = await pushAs(relay, { ...SAFE_JSON_APP, appId: 'wxnotconfigured01' }, 'safe', formatEvent('json', mediaCheckEvent({ appId: 'wxnotconfigured01' })));
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text).error.code).toBe('APP_NOT_CONFIGURED');
    expect((await send('GET', `${relay.url}/api/callbacks?limit=200`)).body.callbacks).toHaveLength(before);
    expect((await register(relay, { trace_id: 'x', server_uri: `${business.url}/x`, app_id: 'wxnotconfigured01' })).status).toBe(404);
  });
});
