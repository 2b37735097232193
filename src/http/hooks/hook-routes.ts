import Type from 'typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IngestDeps } from '../../callback/ingest-push.ts';
import { receiveSourcePush } from '../../callback/receive-source-push.ts';
import type { Source } from '../../config/config-schema.ts';
import { RelayError } from '../../errors/relay-error.ts';
import { takeRawPushes } from '../raw-push-intake.ts';
import { errorResponses } from '../openapi/error-responses.ts';
import { wecomEchostr, type Query } from '../../providers/sources/encrypted-and-form-kinds.ts';

export interface HookRouteOptions {
  sources: readonly Source[];
  ingest: IngestDeps;
  bodyLimitBytes: number;
  storageDeadlineMs: number;
}

type HookRequest = FastifyRequest<{ Params: { name: string }; Querystring: Query }>;

const hookDocs = {
  tags: ['providers'],
  summary: 'A push of a source in RELAY_CONFIG (wecom, douyin, tencent-cloud, aliyun-green, standard-webhooks, hmac): verified over the raw bytes, stored, then answered with the source\'s ack',
  params: Type.Object({ name: Type.String({ description: 'The source\'s name; also the app_id its registrations give.' }) }),
  response: errorResponses(['NOT_FOUND', 'SIGNATURE_INVALID', 'INVALID_PUSH', 'INVALID_CIPHERTEXT', 'APPID_MISMATCH', 'XML_NOT_ALLOWED', 'BODY_TOO_LARGE', 'STORAGE_UNAVAILABLE']),
};

const hookGetDocs = {
  tags: ['providers'],
  summary: 'WeCom\'s URL check: answers the decrypted echostr when msg_signature matches',
  params: hookDocs.params,
  response: errorResponses(['NOT_FOUND', 'SIGNATURE_INVALID', 'INVALID_CIPHERTEXT', 'APPID_MISMATCH', 'INVALID_REQUEST']),
};

/** `POST /api/hooks/<name>`: other providers' pushes, acknowledged only once stored. */
export async function registerHookRoutes(app: FastifyInstance, options: HookRouteOptions): Promise<void> {
  const byName = new Map(options.sources.map((source) => [source.name, source]));
  await app.register(async (scope) => {
    // The signature covers the exact bytes: nothing may parse them first.
    takeRawPushes(scope, { bodyLimitBytes: options.bodyLimitBytes, metrics: options.ingest.metrics, appIdOf: (request) => (request.params as { name?: string }).name ?? null });
    // WeCom checks the URL with a GET carrying an encrypted echostr; no other kind has a GET.
    scope.get('/api/hooks/:name', { schema: hookGetDocs }, async (request: HookRequest, reply) => {
      const source = byName.get(request.params.name);
      if (!source) throw new RelayError('NOT_FOUND', `no source named ${request.params.name} is configured`);
      if (source.kind !== 'wecom') throw new RelayError('NOT_FOUND', `source ${source.name} (${source.kind}) has no URL check`);
      return reply.type('text/plain; charset=utf-8').send(wecomEchostr(source, request.query));
    });
    scope.post('/api/hooks/:name', { bodyLimit: options.bodyLimitBytes, helmet: false, schema: hookDocs }, async (request: HookRequest, reply) => {
      const source = byName.get(request.params.name);
      if (!source) throw new RelayError('NOT_FOUND', `no source named ${request.params.name} is configured`);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const result = await receiveSourcePush(options.ingest, source, { headers: request.headers, query: request.query as Query, raw }, options.storageDeadlineMs);
      if ('kind' in result) return reply.type(result.contentType).send(result.body);
      const ack = source.ack ?? {};
      reply.code(ack.status ?? 200);
      if (ack.contentType) reply.type(ack.contentType);
      return reply.send(ack.body ?? '');
    });
  });
}
