import { checkDestination } from '../destination/destination-rules.ts';
import { maskServerUri } from '../redaction/url-credentials.ts';
import type { RelayConfig, Source } from './config-schema.ts';
import { describeEncodingAesKeyProblem } from './encoding-aes-key-format.ts';
import { ConfigError } from './env-variables.ts';

/** The keys each kind needs, beyond name, kind and idPath. */
const REQUIRED: Readonly<Record<Source['kind'], readonly (keyof Source)[]>> = {
  'wecom': ['token', 'encodingAesKey', 'corpId'],
  'aliyun-green': ['uid', 'seed'],
  'hmac': ['secret', 'header', 'algorithm', 'encoding'],
  'standard-webhooks': ['secret'],
  'tencent-cloud': ['seed'],
  'douyin': ['secret'],
};

/**
 * What the schema cannot check about `sources`: each kind has its secrets, names are
 * unique and never an appid (a registration's app_id names either), a Standard Webhooks
 * secret has its form, and destinations meet the same rules as a route's.
 */
export function checkSources(config: RelayConfig): void {
  const appIds = new Set(config.apps.map((app) => app.appId));
  const seen = new Set<string>();
  const rules = { allowedPrefixes: config.allowedDestinations, blockPrivate: config.blockPrivateDestinations };
  config.sources.forEach((source, index) => {
    const where = `RELAY_CONFIG sources[${index}] ("${source.name}")`;
    if (seen.has(source.name)) throw new ConfigError(`${where}: the name is used by another source`);
    if (appIds.has(source.name)) throw new ConfigError(`${where}: the name is a configured appid; a registration's app_id could not tell them apart`);
    seen.add(source.name);
    const missing = REQUIRED[source.kind].filter((key) => source[key] === undefined);
    if (missing.length > 0) throw new ConfigError(`${where}: kind ${source.kind} needs ${missing.join(', ')}`);
    const keyProblem = source.encodingAesKey === undefined ? undefined : describeEncodingAesKeyProblem(source.encodingAesKey);
    if (keyProblem) throw new ConfigError(`${where}: encodingAesKey ${keyProblem}`);
    if (source.kind === 'standard-webhooks' && !/^whsec_[A-Za-z0-9+/=]+$/.test(source.secret ?? '')) throw new ConfigError(`${where}: a standard-webhooks secret is whsec_ followed by base64`);
    for (const destination of source.destinations ?? []) {
      const verdict = checkDestination(destination, rules);
      if (!verdict.isAllowed) throw new ConfigError(`${where}: destination ${maskServerUri(destination)} is refused: ${verdict.reason}`);
    }
  });
}
