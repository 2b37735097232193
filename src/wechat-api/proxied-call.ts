import type { Logger } from 'pino';
import { RelayError } from '../errors/relay-error.ts';
import type { RelayMetrics } from '../metrics/relay-metrics.ts';
import type { TokenKeeper } from './token-keeper.ts';
import { WechatUnreachableError, type WechatAnswer, type WechatApiClient, type WechatCall } from './wechat-api-client.ts';

/** WeChat's answers that mean "this access_token is not (or no longer) good". */
const TOKEN_REFUSED = new Set([40001, 40014, 42001]);
/** Larger answers are images and files, never an errcode. */
const MAX_JSON_PEEK_BYTES = 64 * 1024;

export interface ProxiedAnswer extends WechatAnswer {
  /** WeChat's errcode when the answer is a JSON object carrying one; 0 or absent on success. */
  errcode: number | undefined;
  json: Record<string, unknown> | undefined;
}

export interface ProxyDeps {
  keeper: Pick<TokenKeeper, 'token' | 'rejected'>;
  client: Pick<WechatApiClient, 'call'>;
  metrics: RelayMetrics;
  logger: Logger;
}

/** A JSON object answer, read without trusting the content type (WeChat sends JSON errors for binary APIs). */
function jsonOf(answer: WechatAnswer): Record<string, unknown> | undefined {
  if (answer.body.length > MAX_JSON_PEEK_BYTES || answer.body[0] !== 0x7b) return undefined;
  try {
    const parsed: unknown = JSON.parse(answer.body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** Paths as metric labels: WeChat's shape (`wxa/media_check_async`), anything else folded into one label. */
function pathLabel(path: string): string {
  return /^[a-z_]+(\/[a-z_]+){1,2}$/.test(path) ? path : 'other';
}

/**
 * One call to WeChat's API with the app's token; when WeChat refuses the token the call
 * is repeated once with a renewed one. Query strings and bodies are never logged: they
 * carry user content and openids.
 */
export async function callWithToken(deps: ProxyDeps, appId: string, call: Omit<WechatCall, 'accessToken'>): Promise<ProxiedAnswer> {
  const label = pathLabel(call.path);
  try {
    let held = await deps.keeper.token(appId);
    let answer = await deps.client.call({ ...call, accessToken: held.token });
    let json = jsonOf(answer);
    if (typeof json?.errcode === 'number' && TOKEN_REFUSED.has(json.errcode)) {
      deps.logger.warn({ app_id: appId, path: call.path, errcode: json.errcode }, 'WeChat refused the access_token; renewing it and repeating the call once');
      held = await deps.keeper.rejected(appId, held.token);
      answer = await deps.client.call({ ...call, accessToken: held.token });
      json = jsonOf(answer);
    }
    const errcode = typeof json?.errcode === 'number' ? json.errcode : undefined;
    deps.metrics.apiCalls.inc({ path: label, errcode: errcode === undefined ? (json ? '0' : 'none') : String(errcode) });
    return { ...answer, errcode, json };
  } catch (error) {
    if (!(error instanceof WechatUnreachableError)) throw error;
    deps.metrics.apiCalls.inc({ path: label, errcode: error.isTimeout ? 'timeout' : 'unreachable' });
    deps.logger.warn({ app_id: appId, path: call.path, error: error.message }, 'WeChat API call failed');
    throw new RelayError(error.isTimeout ? 'WECHAT_API_TIMEOUT' : 'WECHAT_API_UNREACHABLE', error.message);
  }
}
