import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestDeps } from '../../callback/ingest-push.ts';
import { receiveWechatPush } from '../../callback/receive-wechat-push.ts';
import { RelayError } from '../../errors/relay-error.ts';
import { StaleTimestampError } from '../../providers/wechat/open-push.ts';
import { isLoopbackClient, type ProxyTrust } from '../client-address.ts';
import { takeRawPushes } from '../raw-push-intake.ts';
import { isUrlSignatureValid } from '../../providers/wechat/signature.ts';
import type { WechatApps } from '../../providers/wechat/wechat-apps.ts';

export interface WechatRouteOptions {
  apps: WechatApps;
  ingest: IngestDeps;
  bodyLimitBytes: number;
  /** WeChat gives up after 5 s; answer 503 before that so it retries instead of guessing. */
  storageDeadlineMs: number;
  /** RELAY_ACCEPT_UNSIGNED_PUSHES: honoured for loopback senders only. */
  acceptUnsignedPushes: boolean;
  /** RELAY_TRUSTED_PROXIES, to tell a local sender from one forwarded by a proxy. */
  isTrustedProxy: ProxyTrust;
  /** RELAY_PUSH_TIMESTAMP_WINDOW_S. */
  timestampWindowS: number;
}

type WechatQuery = Record<string, string | undefined>;
type WechatRequest = FastifyRequest<{ Params: { appid?: string }; Querystring: WechatQuery }>;

/**
 * WeChat's message-push endpoint: `GET` verifies the URL, `POST` takes a push and
 * answers `success` only once it is stored.
 */
export async function registerWechatRoutes(app: FastifyInstance, options: WechatRouteOptions): Promise<void> {
  await app.register(async (scope) => {
    // WeChat's Content-Type does not say JSON or XML reliably: take raw bytes, sniff later.
    // A refused push is visible only in the log (e.g. a format or mode switched in the console).
    takeRawPushes(scope, {
      bodyLimitBytes: options.bodyLimitBytes,
      metrics: options.ingest.metrics,
      appIdOf: (request) => (request.params as { appid?: string } | undefined)?.appid ?? null,
      detailOf: (error) => (error instanceof StaleTimestampError ? { timestamp_skew_s: error.skewS } : {}),
    });
    for (const path of ['/api/wechat', '/api/wechat/:appid']) {
      scope.get(path, (request: WechatRequest, reply) => verifyUrl(options, request, reply));
      // Only WeChat's servers read this answer (`success`): browser security headers would be a cost per push, protecting nothing.
      scope.post(path, { bodyLimit: options.bodyLimitBytes, helmet: false }, (request: WechatRequest, reply) => receivePush(options, request, reply));
    }
  });
}

async function verifyUrl(options: WechatRouteOptions, request: WechatRequest, reply: FastifyReply): Promise<FastifyReply> {
  const app = options.apps.resolve(request.params.appid);
  if (!app.token) throw new RelayError('SIGNATURE_INVALID', 'URL verification needs the app\'s token (WECHAT_TOKEN)');
  if (!isUrlSignatureValid(app.token, request.query)) throw new RelayError('SIGNATURE_INVALID', 'signature does not match the configured token');
  // WeChat wants the echostr back exactly, as plain text.
  return reply.type('text/plain; charset=utf-8').send(request.query.echostr ?? '');
}

async function receivePush(options: WechatRouteOptions, request: WechatRequest, reply: FastifyReply): Promise<FastifyReply> {
  const app = options.apps.resolve(request.params.appid);
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  await receiveWechatPush(options.ingest, app, request.query, raw, {
    acceptsUnsigned: options.acceptUnsignedPushes && isLoopbackClient(request, options.isTrustedProxy),
    timestampWindowS: options.timestampWindowS,
    storageDeadlineMs: options.storageDeadlineMs,
  });
  return reply.type('text/plain; charset=utf-8').send('success');
}
