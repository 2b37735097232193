import type { WechatApp } from './config-schema.ts';
import { ConfigError } from './env-variables.ts';
import { describeEncodingAesKeyProblem } from './encoding-aes-key-format.ts';

/** Where an app came from, so a message names what the operator must change. */
export interface AppSource {
  app: WechatApp;
  /** e.g. `WECHAT_ENCODING_AES_KEY` style prefix for env, or `apps[1]` in RELAY_CONFIG. */
  origin: 'env' | { index: number };
}

function keyName(source: AppSource, key: keyof WechatApp): string {
  if (source.origin === 'env') {
    const variable = { encodingAesKey: 'WECHAT_ENCODING_AES_KEY', token: 'WECHAT_TOKEN', mode: 'WECHAT_MODE', format: 'WECHAT_FORMAT' }[key as string];
    if (variable) return variable;
  }
  const index = source.origin === 'env' ? 0 : source.origin.index;
  return `RELAY_CONFIG apps[${index}].${key} (app ${source.app.appId})`;
}

/**
 * Checks what the schema cannot: the EncodingAESKey decodes to an AES-256 key,
 * an encrypted mode has a key and a token, and no appid is listed twice. Runs
 * before the relay starts, so a bad key stops the start instead of every push.
 */
export function checkWechatApps(sources: readonly AppSource[]): void {
  const seen = new Set<string>();
  for (const source of sources) {
    const { app } = source;
    if (typeof app !== 'object' || app === null) continue;
    if (typeof app.appId === 'string') {
      if (seen.has(app.appId)) throw new ConfigError(`RELAY_CONFIG lists appId "${app.appId}" twice`);
      seen.add(app.appId);
    }
    if (typeof app.encodingAesKey === 'string') {
      const problem = describeEncodingAesKeyProblem(app.encodingAesKey);
      if (problem) throw new ConfigError(`${keyName(source, 'encodingAesKey')} ${problem}`);
      if (!app.token) throw new ConfigError(`${keyName(source, 'token')} must be set with the EncodingAESKey: msg_signature is computed with the token`);
    }
    if ((app.mode === 'safe' || app.mode === 'compatible') && !app.encodingAesKey) {
      throw new ConfigError(`${keyName(source, 'encodingAesKey')} is required: ${keyName(source, 'mode')} is "${app.mode}"`);
    }
  }
}
