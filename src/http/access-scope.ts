import { isUnderPrefix } from '../destination/destination-rules.ts';
import { RelayError } from '../errors/relay-error.ts';
import { isTunnelUnderPrefix, isTunnelUri } from '../destination/tunnel-uri.ts';
import type { AccessIdentity } from './access-guard.ts';

/** 403 unless the caller's key may use this app. */
export function assertMayUseApp(identity: AccessIdentity, appId: string): void {
  const apps = identity.scope?.appIds;
  if (apps && !apps.includes(appId)) throw new RelayError('FORBIDDEN', `this API key may not use app ${appId}`);
}

/** 403 unless the caller's key may send to (or read traces of) this server_uri. */
export function assertMayUseDestination(identity: AccessIdentity, serverUri: string): void {
  const prefixes = identity.scope?.destinationPrefixes;
  if (!prefixes) return;
  if (isTunnelUri(serverUri)) {
    if (prefixes.some((prefix) => isTunnelUnderPrefix(serverUri, prefix))) return;
    throw new RelayError('FORBIDDEN', 'this API key may not use that server_uri: it is outside the key\'s destination prefixes');
  }
  let url: URL | undefined;
  try {
    url = new URL(serverUri);
  } catch {
    url = undefined;
  }
  if (!url || !prefixes.some((prefix) => isUnderPrefix(url, prefix))) {
    throw new RelayError('FORBIDDEN', 'this API key may not use that server_uri: it is outside the key\'s destination prefixes');
  }
}

/** 403 unless the caller's key may call this path of WeChat's API through the relay. */
export function assertMayCallApi(identity: AccessIdentity, path: string): void {
  const prefixes = identity.scope?.apiPaths;
  if (prefixes && !prefixes.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`))) {
    throw new RelayError('FORBIDDEN', `this API key may not call ${path} through the relay`);
  }
}

/** 403 for a scoped key on relay-wide administration (audit log, destinations). */
export function assertUnscoped(identity: AccessIdentity): void {
  if (identity.scope?.appIds || identity.scope?.destinationPrefixes || identity.scope?.apiPaths) {
    throw new RelayError('FORBIDDEN', 'this API key is limited to some apps or destinations; relay-wide administration needs an unscoped key');
  }
}

/** The app ids a redrive may touch: the request's, within the key's scope. */
export function scopedAppIds(identity: AccessIdentity, requested: string | undefined): readonly string[] | undefined {
  if (requested !== undefined) {
    assertMayUseApp(identity, requested);
    return [requested];
  }
  return identity.scope?.appIds;
}
