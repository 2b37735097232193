import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { mediaCheckJson, mediaCheckXml, signQuery } from '../helpers/wechat-signer.ts';

const TOKEN = 'AAAAA';

describe('WeChat push endpoint (plain mode, token set)', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay({ WECHAT_TOKEN: TOKEN, WECHAT_APPID: 'wx8f16a5be77871234' });
    business = await BusinessServer.start();
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  it('answers URL verification with the echostr for the official vector V1, 401 otherwise', async () => {
    const good = await send('GET', `${relay.url}/api/wechat?signature=f464b24fc39322e44b38aa78f5edd27bd1441696&echostr=4375120948345356249&timestamp=1714036504&nonce=1514711492`);
    expect(good.status).toBe(200);
    expect(good.text).toBe('4375120948345356249');
    const bad = await send('GET', `${relay.url}/api/wechat?signature=0000b24fc39322e44b38aa78f5edd27bd1441696&echostr=1&timestamp=1714036504&nonce=1514711492`);
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('SIGNATURE_INVALID');
    expect((await send('GET', `${relay.url}/api/wechat/wx8f16a5be77871234?${new URLSearchParams({ ...signQuery(TOKEN), echostr: 'hi' })}`)).text).toBe('hi');
  });

  it('accepts the official plain-mode vector V2 and answers success', async () => {
    const query = { signature: '899cf89e464efb63f54ddac96b0a0a235f53aa78', timestamp: '1714037059', nonce: '486452656' };
    const body = '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714037059,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}';
    // The vector was signed in 2024: a relay whose clock reads that moment, since plain-mode timestamps must be recent.
    const offset = Date.now() - 1714037059_000;
    const atVectorTime = await startRelay({ WECHAT_TOKEN: TOKEN, WECHAT_APPID: 'wx8f16a5be77871234' }, { clock: { now: () => Date.now() - offset } });
    try {
      const response = await push(atVectorTime, body, query);
      expect(response.status).toBe(200);
      expect(response.text).toBe('success');
      // The same signed URL today is too old to be believed.
      expect((await push(relay, body, query)).body.error.code).toBe('PUSH_TIMESTAMP_STALE');
    } finally {
      await atVectorTime.close();
    }
  });

  it('refuses a forged signature with 401 and forwards nothing', async () => {
    await register(relay, { trace_id: 'forged-1', server_uri: `${business.url}/cb` });
    const forged = await push(relay, mediaCheckJson('forged-1', 'risky'), { ...signQuery('not-the-token') });
    expect(forged.status).toBe(401);
    expect(forged.text).not.toBe('success');
    const missing = await push(relay, mediaCheckJson('forged-1', 'risky'));
    expect(missing.status).toBe(401);
    expect((await getTrace(relay, 'forged-1')).body).toMatchObject({ status: 'pending', callback: null });
  });

  const badPushes: Array<[string, string, number, string]> = [
    ['not JSON or XML', 'hello', 400, 'INVALID_PUSH'],
    ['broken JSON', '{"MsgType": "event",', 400, 'INVALID_PUSH'],
    ['a JSON array', '[1,2,3]', 400, 'INVALID_PUSH'],
    ['a media check without trace_id', '{"MsgType":"event","Event":"wxa_media_check","result":{"suggest":"pass"}}', 400, 'MISSING_TRACE_ID'],
    ['XML with a DOCTYPE', '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "boom">]><xml><trace_id>&x;</trace_id></xml>', 400, 'XML_NOT_ALLOWED'],
    ['XML with an external entity', '<!DOCTYPE xml SYSTEM "file:///etc/passwd"><xml><a>1</a></xml>', 400, 'XML_NOT_ALLOWED'],
    ['a billion-laughs document', `<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><xml><a>&lol9;</a></xml>`, 400, 'XML_NOT_ALLOWED'],
    ['deeply nested XML', `<xml>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</xml>`, 400, 'XML_NOT_ALLOWED'],
    ['malformed XML', '<xml><MsgType>event</xml>', 400, 'INVALID_PUSH'],
    ['XML without the xml root', '<root><a>1</a></root>', 400, 'INVALID_PUSH'],
  ];
  it.each(badPushes)('refuses %s with a coded 4xx, no success', async (_name, body, status, code) => {
    const response = await push(relay, body, signQuery(TOKEN));
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
  });

  it('refuses an oversized push with 413 and keeps serving', async () => {
    const huge = `{"MsgType":"event","pad":"${'x'.repeat(1100 * 1024)}"}`;
    const response = await push(relay, huge, signQuery(TOKEN));
    expect(response.status).toBe(413);
    expect((await send('GET', `${relay.url}/healthz`)).status).toBe(200);
  });

  it('refuses an unknown appid with 404', async () => {
    const response = await push(relay, mediaCheckJson('x'), signQuery(TOKEN), '/api/wechat/wx-not-configured');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('APP_NOT_CONFIGURED');
  });

  it('still delivers the genuine push that follows hostile ones', async () => {
    await register(relay, { trace_id: 'after-hostile', server_uri: `${business.url}/after` });
    await push(relay, '<!DOCTYPE a [<!ENTITY b "c">]><xml>&b;</xml>', signQuery(TOKEN));
    const body = mediaCheckXml('after-hostile');
    const response = await push(relay, body, signQuery(TOKEN), '/api/wechat', 'text/xml');
    expect(response.text).toBe('success');
    const [request] = (await business.waitForRequests(1)).filter((item) => item.path === '/after');
    expect(request?.body.toString('utf8')).toBe(body);
    expect(request?.headers['content-type']).toContain('text/xml');
  });
});

describe('WeChat push endpoint without a token (local development)', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startRelay();
  });
  afterAll(async () => relay.close());

  it('accepts unsigned pushes but cannot verify the URL', async () => {
    expect((await push(relay, mediaCheckJson('dev-1'))).text).toBe('success');
    const verify = await send('GET', `${relay.url}/api/wechat?echostr=1&signature=x&timestamp=1&nonce=1`);
    expect(verify.status).toBe(401);
  });

  it('refuses an encrypted push when no EncodingAESKey is configured', async () => {
    const response = await push(relay, '{"ToUserName":"gh_x","Encrypt":"abc"}', { encrypt_type: 'aes', msg_signature: 'x' });
    expect(response.status).toBe(400);
  });

  it('refuses a push whose trace_id carries control characters, which no registration can have', async () => {
    const response = await push(relay, mediaCheckJson('bad\u0000id'));
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_PUSH');
  });
});
