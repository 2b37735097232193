import type { FastifyReply, FastifyRequest } from 'fastify';
import { RelayError } from '../../errors/relay-error.ts';
import type { TokenKeeper } from '../../wechat-api/token-keeper.ts';
import type { AccessIdentity } from '../access-guard.ts';
import { isLoopbackClient, type ProxyTrust } from '../client-address.ts';

export type KeyCheck = (key: string) => AccessIdentity | undefined;

export interface SdkTokenOptions {
  keeper: Pick<TokenKeeper, 'token' | 'holdsTokenFor'>;
  keyCheck: KeyCheck;
  hasKeys: boolean;
  isTrustedProxy: ProxyTrust;
}

interface TokenRequest {
  grantType: unknown;
  appId: unknown;
  secret: unknown;
}

/** WeChat's own answer shapes, so an SDK that reads errcode understands the refusal. */
const wechatError = (errcode: number, errmsg: string) => ({ errcode, errmsg });

function tokenRequestOf(request: FastifyRequest, path: string): TokenRequest | undefined {
  if (path === 'cgi-bin/token') {
    const query = request.query as Record<string, unknown>;
    return { grantType: query.grant_type, appId: query.appid, secret: query.secret };
  }
  if (!Buffer.isBuffer(request.body)) return undefined;
  try {
    const body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    return typeof body === 'object' && body !== null ? { grantType: body.grant_type, appId: body.appid, secret: body.secret } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `cgi-bin/token` and `cgi-bin/stable_token` as WeChat SDKs call them, with a relay API key
 * in place of the AppSecret: the answer is the relay's current token, so an SDK pointed at
 * the relay runs unchanged and never invalidates the token the others use. A `force_refresh`
 * the SDK asks for is not passed on: the relay renews when WeChat refuses its token.
 */
export async function answerSdkToken(request: FastifyRequest, reply: FastifyReply, path: string, options: SdkTokenOptions): Promise<FastifyReply> {
  const asked = tokenRequestOf(request, path);
  if (!asked) return reply.send(wechatError(47001, 'data format error'));
  if (asked.grantType !== 'client_credential') return reply.send(wechatError(40002, 'invalid grant_type'));
  const appId = typeof asked.appId === 'string' ? asked.appId : '';
  if (!options.keeper.holdsTokenFor(appId)) throw new RelayError('API_PROXY_DISABLED', `the relay holds no AppSecret for app ${appId || '(none given)'}`);
  const identity = typeof asked.secret === 'string' && asked.secret !== ''
    ? (options.hasKeys ? options.keyCheck(asked.secret) : undefined)
    : undefined;
  // A key limited to some API paths never gets the token itself: with it, WeChat could be called directly, any path.
  const isAllowed = options.hasKeys
    ? identity !== undefined && !identity.scope?.apiPaths && (!identity.scope?.appIds || identity.scope.appIds.includes(appId))
    : isLoopbackClient(request, options.isTrustedProxy);
  if (!isAllowed) return reply.send(wechatError(40125, 'invalid appsecret'));
  const held = await options.keeper.token(appId);
  return reply.send({ access_token: held.token, expires_in: Math.max(0, Math.floor((held.expiresAt - Date.now()) / 1000)) });
}
