import { createHash, randomInt } from 'node:crypto';
import { request } from 'undici';

/**
 * Sends a `wxa_media_check` push the way WeChat does in plain mode: JSON body,
 * `signature` = sha1 of the sorted token, timestamp and nonce.
 */
export async function sendMediaCheckPush(relayUrl: string, token: string, appId: string, traceId: string, suggest: 'pass' | 'risky' | 'review'): Promise<string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomInt(1e9));
  const signature = createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
  const body = JSON.stringify({
    ToUserName: 'gh_demo00000000',
    FromUserName: 'o_demo_user_openid',
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'event',
    Event: 'wxa_media_check',
    appid: appId,
    trace_id: traceId,
    version: 2,
    detail: [{ strategy: 'content_model', errcode: 0, suggest, label: suggest === 'pass' ? 100 : 20001, prob: 90 }],
    errcode: 0,
    errmsg: 'ok',
    result: { suggest, label: suggest === 'pass' ? 100 : 20001 },
  });
  const query = new URLSearchParams({ signature, timestamp, nonce });
  const response = await request(`${relayUrl}/api/wechat?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return `${response.statusCode} ${await response.body.text()}`;
}
