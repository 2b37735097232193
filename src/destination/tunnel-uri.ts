/** `tunnel://<name>[/path]`: a destination served by a `callback-relay listen` client. */
export const TUNNEL_SCHEME = 'tunnel';

/** Lower-case letters, digits and '-', as in a DNS label: safe in URLs, logs and SQL LIKE patterns. */
export const TUNNEL_NAME_PATTERN = /^[a-z0-9-]{1,63}$/;

export interface TunnelTarget {
  name: string;
  /** '' or a path starting with '/', appended to the listener's --forward-to URL. */
  path: string;
}

/** True when the text names the tunnel scheme, whatever else is wrong with it. */
export function isTunnelUri(text: string): boolean {
  return /^tunnel:/i.test(text);
}

/**
 * Reads `tunnel://<name>[/path][?query]`; returns undefined when it is not one. The
 * result is canonical (lower-case scheme) so the same destination is stored one way.
 */
export function parseTunnelUri(text: string): TunnelTarget | undefined {
  const match = /^tunnel:\/\/([^/?#]*)([^#]*)$/i.exec(text);
  if (!match) return undefined;
  const name = match[1] ?? '';
  let path = match[2] ?? '';
  if (!TUNNEL_NAME_PATTERN.test(name)) return undefined;
  if (path.startsWith('?')) path = `/${path}`;
  if (/\s/.test(path)) return undefined;
  return { name, path };
}

export function formatTunnelUri(target: TunnelTarget): string {
  return `${TUNNEL_SCHEME}://${target.name}${target.path}`;
}

/**
 * Whether the canonical tunnel destination `text` is under an allowlist or key
 * prefix. Names match whole: `tunnel://alice` covers `tunnel://alice` and
 * `tunnel://alice/…`, never `tunnel://alice2`; `tunnel://` covers every name.
 */
export function isTunnelUnderPrefix(text: string, prefix: string): boolean {
  const base = prefix.replace(/^tunnel:/i, `${TUNNEL_SCHEME}:`);
  if (!isTunnelUri(base)) return false;
  if (base === `${TUNNEL_SCHEME}:` || base === `${TUNNEL_SCHEME}://` || base.endsWith('/')) return text.startsWith(base);
  return text === base || text.startsWith(`${base}/`) || text.startsWith(`${base}?`);
}
