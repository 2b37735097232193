import type { WechatApp } from '../../config/config-schema.ts';
import { RelayError } from '../../errors/relay-error.ts';
import { decodeEncodingAesKey, type AesKey } from './aes-key.ts';
import { DEFAULT_CORRELATION_FIELDS } from './push-identity.ts';

/** An app as the push endpoint uses it: its config, its decoded key, its id-keyed events. */
export interface EndpointApp extends WechatApp {
  aesKey?: AesKey;
  /** Built-in id-keyed events merged with the app's own `correlationFields`. */
  correlation: Readonly<Record<string, string>>;
}

function toEndpointApp(app: WechatApp): EndpointApp {
  return {
    ...app,
    aesKey: app.encodingAesKey ? decodeEncodingAesKey(app.encodingAesKey) : undefined,
    correlation: { ...DEFAULT_CORRELATION_FIELDS, ...app.correlationFields },
  };
}

/** Looks up the app a push URL belongs to. */
export class WechatApps {
  readonly #byId: ReadonlyMap<string, EndpointApp>;
  readonly #defaultApp: EndpointApp;

  constructor(apps: readonly WechatApp[], defaultAppId: string) {
    this.#byId = new Map(apps.map((app) => [app.appId, toEndpointApp(app)]));
    // Without any configured app the relay still accepts unsigned pushes (local development).
    this.#defaultApp = this.#byId.get(defaultAppId) ?? toEndpointApp({ appId: defaultAppId });
  }

  /** The app of `/api/wechat` (appId undefined) or `/api/wechat/<appid>`. */
  resolve(appId: string | undefined): EndpointApp {
    if (appId === undefined) return this.#defaultApp;
    const app = this.#byId.get(appId) ?? (appId === this.#defaultApp.appId ? this.#defaultApp : undefined);
    if (!app) throw new RelayError('APP_NOT_CONFIGURED', `no mini program with appid ${appId} is configured`);
    return app;
  }

  get ids(): ReadonlySet<string> {
    return new Set(this.#byId.keys());
  }
}
