import { Agent, errors, request, type Dispatcher } from 'undici';

/** WeChat answered, but with an errcode (e.g. 40125 invalid appsecret). errmsg is WeChat's, which never repeats the secret. */
export class WechatApiError extends Error {
  readonly errcode: number;
  constructor(errcode: number, errmsg: string) {
    super(`WeChat answered errcode ${errcode}: ${errmsg}`);
    this.name = 'WechatApiError';
    this.errcode = errcode;
  }
}

/** WeChat could not be reached, or did not answer in time. */
export class WechatUnreachableError extends Error {
  readonly isTimeout: boolean;
  constructor(message: string, isTimeout: boolean) {
    super(message);
    this.name = 'WechatUnreachableError';
    this.isTimeout = isTimeout;
  }
}

export interface WechatAnswer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

export interface WechatCall {
  method: string;
  /** Below the API base, without a leading slash: `wxa/media_check_async`. */
  path: string;
  /** The caller's query string as sent, without `?`; `access_token` and `app_id` are taken out, the token put in. */
  rawQuery: string;
  accessToken: string;
  contentType?: string;
  body?: Buffer;
}

/** The query as the caller sent it, byte for byte, with the relay's own parameters replaced by the token. */
export function queryWithToken(rawQuery: string, accessToken: string): string {
  const kept = rawQuery.split('&').filter((part) => {
    if (part === '') return false;
    const name = part.split('=')[0];
    return name !== 'access_token' && name !== 'app_id';
  });
  return [...kept, `access_token=${encodeURIComponent(accessToken)}`].join('&');
}

/** The calls the relay makes to WeChat's server API, over one keep-alive pool. */
export class WechatApiClient {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #agent: Dispatcher;

  constructor(base: string, timeoutMs: number) {
    this.#base = base.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
    this.#agent = new Agent({ connections: 64, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect: { timeout: Math.min(timeoutMs, 5000) } });
  }

  /** `POST cgi-bin/stable_token`: never the legacy `cgi-bin/token`, which would invalidate tokens other tools hold. */
  async stableToken(appId: string, secret: string, forceRefresh: boolean): Promise<{ token: string; expiresInS: number }> {
    const answer = await this.#send('POST', 'cgi-bin/stable_token', '', 'application/json',
      Buffer.from(JSON.stringify({ grant_type: 'client_credential', appid: appId, secret, force_refresh: forceRefresh })));
    let parsed: { access_token?: unknown; expires_in?: unknown; errcode?: unknown; errmsg?: unknown };
    try {
      parsed = JSON.parse(answer.body.toString('utf8')) as typeof parsed;
    } catch {
      throw new WechatUnreachableError(`stable_token answered HTTP ${answer.status} with a body that is not JSON`, false);
    }
    if (typeof parsed.access_token === 'string' && typeof parsed.expires_in === 'number') return { token: parsed.access_token, expiresInS: parsed.expires_in };
    throw new WechatApiError(Number(parsed.errcode ?? -1), String(parsed.errmsg ?? `HTTP ${answer.status}`));
  }

  call(call: WechatCall): Promise<WechatAnswer> {
    return this.#send(call.method, call.path, queryWithToken(call.rawQuery, call.accessToken), call.contentType, call.body);
  }

  async #send(method: string, path: string, query: string, contentType: string | undefined, body: Buffer | undefined): Promise<WechatAnswer> {
    const url = `${this.#base}/${path}${query ? `?${query}` : ''}`;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const answer = await request(url, {
        method: method as Dispatcher.HttpMethod,
        dispatcher: this.#agent,
        headers: contentType ? { 'content-type': contentType } : {},
        body: body && body.length > 0 ? body : undefined,
        signal,
      });
      const bytes = Buffer.from(await answer.body.arrayBuffer());
      const type = answer.headers['content-type'];
      return { status: answer.statusCode, contentType: Array.isArray(type) ? type[0] : type, body: bytes };
    } catch (error) {
      // The URL carries the token: name the path only.
      const isTimeout = signal.aborted || error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError || error instanceof errors.ConnectTimeoutError;
      const reason = isTimeout ? `no answer within ${this.#timeoutMs} ms` : ((error as { code?: string }).code ?? (error as Error).name);
      throw new WechatUnreachableError(`WeChat's API at ${new URL(this.#base).host} (${path}): ${reason}`, isTimeout);
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
