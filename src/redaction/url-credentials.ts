// Credentials in URLs never reach a log line, an error or an API answer.

/**
 * Hides the credentials of a server_uri. Both parts: a lone user name is often
 * a token (`https://<token>@host/`). Everything else is shown as registered.
 */
export function maskServerUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return uri.replace(/\/\/[^/@]*@/, '//***@');
  }
  if (url.username === '' && url.password === '') return uri;
  // The authority ends at the first / ? or #; its userinfo ends at its last @ (as URL parsers read it).
  const start = uri.indexOf('//') + 2;
  const rest = uri.slice(start);
  const authority = rest.slice(0, rest.search(/[/?#]|$/));
  const at = authority.lastIndexOf('@');
  if (start < 2 || at < 0) return `${url.protocol}//***@${url.host}${url.pathname}${url.search}`;
  return `${uri.slice(0, start)}${url.password === '' ? '***' : '***:***'}${rest.slice(at)}`;
}

/**
 * Hides the password of a service URL (database, Redis) before it reaches a log or an
 * error message; the user name stays, to tell which account was meant.
 */
export function maskDatabaseUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@').replace(/([?&](?:password|pass|pwd)=)[^&]*/gi, '$1***');
}
