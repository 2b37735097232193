import Type from 'typebox';
import { GUARDED, GUARDED_SECURITY, errorResponses } from '../openapi/error-responses.ts';

/** Documents the proxy; its input goes to WeChat as sent, so nothing here validates. */
export const wxapiDocs = {
  tags: ['wechat-api'], security: GUARDED_SECURITY,
  summary: 'WeChat\'s server API with the app\'s access_token: method, query and body as sent, WeChat\'s answer byte for byte',
  description: 'The app is `app_id` in the query, else the `x-relay-app-id` header, else the WECHAT_* app. On POST wxa/media_check_async, `x-relay-server-uri` (and optional `x-relay-timeout-s`) registers WeChat\'s trace_id for that server before the answer returns, with `x-relay-trace-registered: true`. `cgi-bin/token` and `cgi-bin/stable_token` answer the relay\'s token to an SDK whose secret is a relay API key.',
  response: errorResponses([...GUARDED, 'NOT_FOUND', 'API_PROXY_DISABLED', 'INVALID_REQUEST', 'INVALID_FIELD', 'INVALID_SERVER_URI', 'DESTINATION_NOT_ALLOWED', 'DESTINATION_BLOCKED', 'BODY_TOO_LARGE', 'RATE_LIMITED', 'ACCESS_TOKEN_UNAVAILABLE', 'WECHAT_API_UNREACHABLE', 'WECHAT_API_TIMEOUT', 'STORAGE_UNAVAILABLE']),
};

export const accessTokenDocs = {
  tags: ['wechat-api'], security: GUARDED_SECURITY,
  summary: 'The app\'s current access_token, for a server that must hold it itself',
  querystring: Type.Object({ app_id: Type.Optional(Type.String()) }),
  response: {
    200: Type.Object({ app_id: Type.String(), access_token: Type.String(), expires_at: Type.String({ format: 'date-time' }) }),
    ...errorResponses([...GUARDED, 'API_PROXY_DISABLED', 'ACCESS_TOKEN_UNAVAILABLE']),
  },
};
