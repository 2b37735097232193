import { buildSimulatedPush, sendSimulatedPush } from '../simulator/simulated-push.ts';

export interface DemoApp {
  appId: string;
  token: string;
  encodingAesKey: string;
}

/**
 * Sends a `wxa_media_check` push the way WeChat does in safe mode (the console's
 * recommended setting): the JSON message encrypted with the app's EncodingAESKey,
 * the query signed with its token, the ciphertext signed as msg_signature.
 */
export async function sendMediaCheckPush(relayUrl: string, app: DemoApp, traceId: string, suggest: 'pass' | 'risky' | 'review'): Promise<string> {
  const message = JSON.stringify({
    ToUserName: 'gh_demo00000000',
    FromUserName: 'o_demo_user_openid',
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'event',
    Event: 'wxa_media_check',
    appid: app.appId,
    trace_id: traceId,
    version: 2,
    detail: [{ strategy: 'content_model', errcode: 0, suggest, label: suggest === 'pass' ? 100 : 20001, prob: 90 }],
    errcode: 0,
    errmsg: 'ok',
    result: { suggest, label: suggest === 'pass' ? 100 : 20001 },
  });
  const push = buildSimulatedPush({ appId: app.appId, token: app.token, encodingAesKey: app.encodingAesKey, mode: 'safe', message });
  const answer = await sendSimulatedPush(`${relayUrl}/api/wechat`, push);
  return `${answer.status} ${answer.text}`;
}
