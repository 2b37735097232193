import type { WechatApp } from '../../config/config-schema.ts';
import { RelayError } from '../../errors/relay-error.ts';

/** Looks up the app a push URL belongs to. */
export class WechatApps {
  readonly #byId: ReadonlyMap<string, WechatApp>;
  readonly #defaultApp: WechatApp;

  constructor(apps: readonly WechatApp[], defaultAppId: string) {
    this.#byId = new Map(apps.map((app) => [app.appId, app]));
    // Without any configured app the relay still accepts unsigned pushes (local development).
    this.#defaultApp = this.#byId.get(defaultAppId) ?? { appId: defaultAppId };
  }

  /** The app of `/api/wechat` (appId undefined) or `/api/wechat/<appid>`. */
  resolve(appId: string | undefined): WechatApp {
    if (appId === undefined) return this.#defaultApp;
    const app = this.#byId.get(appId) ?? (appId === this.#defaultApp.appId ? this.#defaultApp : undefined);
    if (!app) throw new RelayError('APP_NOT_CONFIGURED', `no mini program with appid ${appId} is configured`);
    return app;
  }

  get ids(): ReadonlySet<string> {
    return new Set(this.#byId.keys());
  }
}
