import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RelayError } from '../../errors/relay-error.ts';
import { parseRegistration, type RegistrationInput } from '../../registration/registration-input.ts';
import { registerTrace, type RegisterDeps } from '../../registration/register-trace.ts';
import { callWithToken, type ProxyDeps } from '../../wechat-api/proxied-call.ts';
import type { TokenKeeper } from '../../wechat-api/token-keeper.ts';
import type { ApiRateGuard } from '../../wechat-api/api-rate-guard.ts';
import { identityOf, rememberIdentity, type AccessGuard, type AccessIdentity } from '../access-guard.ts';
import { assertMayCallApi, assertMayUseApp, assertMayUseDestination } from '../access-scope.ts';
import type { ProxyTrust } from '../client-address.ts';
import { accessTokenDocs, wxapiDocs } from './wxapi-docs.ts';
import { answerSdkToken, type KeyCheck } from './sdk-token.ts';

export interface WxapiRouteOptions {
  proxy: ProxyDeps;
  keeper: Pick<TokenKeeper, 'token' | 'holdsTokenFor' | 'appOfToken'>;
  rateGuard: Pick<ApiRateGuard, 'admit'>;
  guard: AccessGuard;
  keyCheck: KeyCheck;
  /** No RELAY_API_KEYS at all: the SDK endpoints then answer loopback clients, as the guard does. */
  hasKeys: boolean;
  isTrustedProxy: ProxyTrust;
  registration: RegisterDeps;
  allowedDestinations: readonly string[];
  blockPrivateDestinations: boolean;
  defaultAppId: string;
}

/** WeChat's uploads (images for img_sec_check and the like) stay well below this. */
const PROXY_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
const SDK_TOKEN_PATHS = new Set(['cgi-bin/token', 'cgi-bin/stable_token']);
const MEDIA_CHECK_PATH = 'wxa/media_check_async';

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The app a call is for: `app_id` in the query, else `x-relay-app-id`, else the WECHAT_* app. */
function appOf(request: FastifyRequest, defaultAppId: string): string {
  const fromQuery = (request.query as Record<string, unknown>).app_id;
  return (typeof fromQuery === 'string' && fromQuery) || headerOf(request, 'x-relay-app-id') || defaultAppId;
}

/**
 * Who calls: a WeChat SDK pointed at the relay sends no key, only the access_token it got
 * from the relay, which names its app; anyone else is checked by the API guard.
 */
function callerOf(request: FastifyRequest, options: WxapiRouteOptions): { identity: AccessIdentity; appId: string } {
  const token = (request.query as Record<string, unknown>).access_token;
  const tokenApp = request.headers.authorization === undefined && typeof token === 'string' ? options.keeper.appOfToken(token) : undefined;
  if (tokenApp !== undefined) {
    const identity: AccessIdentity = { actor: `token:${tokenApp}`, scope: { appIds: [tokenApp] } };
    rememberIdentity(request, identity);
    return { identity, appId: tokenApp };
  }
  return { identity: options.guard(request), appId: appOf(request, options.defaultAppId) };
}

/** The registration a media check asks for with x-relay-server-uri, checked before WeChat is called. */
function selfRegistration(request: FastifyRequest, path: string, appId: string, options: WxapiRouteOptions): RegistrationInput | undefined {
  const serverUri = headerOf(request, 'x-relay-server-uri');
  if (serverUri === undefined) return undefined;
  if (path !== MEDIA_CHECK_PATH || request.method !== 'POST') throw new RelayError('INVALID_REQUEST', `x-relay-server-uri is read on POST /wxapi/${MEDIA_CHECK_PATH} only`);
  const timeout = headerOf(request, 'x-relay-timeout-s');
  if (timeout !== undefined && !/^\d{1,9}$/.test(timeout.trim())) throw new RelayError('INVALID_FIELD', 'x-relay-timeout-s must be a whole number of seconds');
  // The same checks as POST /api/moderate/trace, on a placeholder id: WeChat gives the real one.
  const input = parseRegistration({ trace_id: 'placeholder', server_uri: serverUri, app_id: appId, ...(timeout === undefined ? {} : { timeout_s: Number(timeout) }) },
    options.allowedDestinations, options.blockPrivateDestinations);
  assertMayUseDestination(identityOf(request), input.serverUri);
  return input;
}

async function proxy(request: FastifyRequest, reply: FastifyReply, options: WxapiRouteOptions): Promise<FastifyReply> {
  const path = (request.params as { '*': string })['*'];
  if (!/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(path) || path.includes('..')) throw new RelayError('NOT_FOUND', 'not a path of WeChat\'s API');
  if (SDK_TOKEN_PATHS.has(path)) return answerSdkToken(request, reply, path, options);
  const { identity, appId } = callerOf(request, options);
  assertMayUseApp(identity, appId);
  assertMayCallApi(identity, path);
  if (!options.keeper.holdsTokenFor(appId)) throw new RelayError('API_PROXY_DISABLED', `the relay holds no AppSecret for app ${appId}: set WECHAT_APP_SECRET or the app's appSecret`);
  const registration = selfRegistration(request, path, appId, options);
  await options.rateGuard.admit(appId, path);
  const answer = await callWithToken(options.proxy, appId, {
    method: request.method,
    path,
    rawQuery: request.raw.url?.split('?')[1] ?? '',
    contentType: headerOf(request, 'content-type'),
    body: Buffer.isBuffer(request.body) ? request.body : undefined,
  });
  const traceId = answer.json?.trace_id;
  if (registration && answer.errcode === 0 && typeof traceId === 'string') {
    try {
      await registerTrace(options.registration, { ...registration, traceId });
    } catch (error) {
      if (!(error instanceof RelayError)) throw error;
      throw new RelayError(error.code, `WeChat accepted the media check (trace_id ${traceId}) but the relay could not register it: ${error.message}. Register it with POST /api/moderate/trace, or call again`, error.headers);
    }
    reply.header('x-relay-trace-registered', 'true');
  }
  reply.code(answer.status);
  if (answer.contentType) reply.header('content-type', answer.contentType);
  return reply.send(answer.body);
}

/** `/wxapi/<path>`: WeChat's server API with the app's token; `GET /api/access-token` for a server that holds the token itself. */
export async function registerWxapiRoutes(app: FastifyInstance, options: WxapiRouteOptions): Promise<void> {
  await app.register(async (scope) => {
    // The body goes to WeChat as it came: JSON, XML, form or an image alike.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: PROXY_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    scope.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
      url: '/wxapi/*',
      schema: wxapiDocs,
      bodyLimit: PROXY_BODY_LIMIT_BYTES,
      handler: (request, reply) => proxy(request, reply, options),
    });
  });

  app.get<{ Querystring: { app_id?: string } }>('/api/access-token', { schema: accessTokenDocs, onRequest: async (request) => { options.guard(request); } }, async (request) => {
    const appId = request.query.app_id || options.defaultAppId;
    const identity = identityOf(request);
    assertMayUseApp(identity, appId);
    if (identity.scope?.apiPaths) throw new RelayError('FORBIDDEN', 'this API key is limited to some paths of WeChat\'s API: it may call them through /wxapi, not hold the token');
    if (!options.keeper.holdsTokenFor(appId)) throw new RelayError('API_PROXY_DISABLED', `the relay holds no AppSecret for app ${appId}`);
    const held = await options.keeper.token(appId);
    return { app_id: appId, access_token: held.token, expires_at: new Date(held.expiresAt).toISOString() };
  });
}
