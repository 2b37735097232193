import { checkDestination } from '../destination/destination-rules.ts';
import { RelayError } from '../errors/relay-error.ts';
import { formatTunnelUri, isTunnelUnderPrefix, isTunnelUri, parseTunnelUri } from '../destination/tunnel-uri.ts';

export interface RegistrationInput {
  traceId: string;
  serverUri: string;
  appId: string | undefined;
  timeoutS: number | undefined;
}

export const REGISTRATION_LIMITS = {
  traceIdLength: 128,
  serverUriLength: 2048,
  appIdLength: 64,
  maxTimeoutS: 30 * 86_400,
} as const;

type Body = Record<string, unknown>;

/** Takes the first of several accepted names (`trace_id`, or `traceId` from older clients). */
function pickString(body: Body, names: readonly string[], label: string): string | undefined {
  for (const name of names) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new RelayError('INVALID_FIELD', `${label} must be a string`);
    return value.trim();
  }
  return undefined;
}

function required(body: Body, names: readonly string[], label: string, maxLength: number): string {
  const value = pickString(body, names, label);
  if (!value) throw new RelayError('MISSING_FIELD', `${label} is required and must not be empty`);
  if (value.length > maxLength) throw new RelayError('FIELD_TOO_LONG', `${label} must be at most ${maxLength} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new RelayError('INVALID_FIELD', `${label} must not contain control characters`);
  return value;
}

function parseServerUri(text: string, allowedPrefixes: readonly string[], blockPrivate: boolean): string {
  if (isTunnelUri(text)) return checkAllowed(parseTunnelServerUri(text), allowedPrefixes);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RelayError('INVALID_SERVER_URI', 'server_uri must be an absolute http(s) URL, e.g. https://prod.example.com/wx/callback');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RelayError('INVALID_SERVER_URI', `server_uri must use http or https, not ${url.protocol.replace(':', '')}`);
  if (!url.hostname) throw new RelayError('INVALID_SERVER_URI', 'server_uri must name a host');
  const verdict = checkDestination(text, { allowedPrefixes, blockPrivate });
  if (!verdict.isAllowed && verdict.rule === 'prefix') {
    throw new RelayError('DESTINATION_NOT_ALLOWED', 'server_uri is not under any prefix allowed by RELAY_ALLOWED_DESTINATIONS');
  }
  if (!verdict.isAllowed) throw new RelayError('DESTINATION_BLOCKED', `server_uri is refused: ${verdict.reason}`);
  return text;
}

/**
 * A dev tunnel destination is not an http(s) URL, but it still passes the
 * allowlist: an operator who restricts destinations lists `tunnel://` (or
 * `tunnel://alice`) to let registrations reach listeners.
 */
function parseTunnelServerUri(text: string): string {
  const target = parseTunnelUri(text);
  if (!target) throw new RelayError('INVALID_SERVER_URI', 'a tunnel server_uri must be tunnel://<name>[/path], the name 1 to 63 of a-z, 0-9 and -');
  return formatTunnelUri(target);
}

function checkAllowed(text: string, allowedPrefixes: readonly string[]): string {
  if (allowedPrefixes.length > 0 && !allowedPrefixes.some((prefix) => isTunnelUnderPrefix(text, prefix))) {
    throw new RelayError('DESTINATION_NOT_ALLOWED', 'server_uri is not under any prefix allowed by RELAY_ALLOWED_DESTINATIONS');
  }
  return text;
}

function parseTimeout(body: Body): number | undefined {
  const value = body.timeout_s ?? body.timeoutS;
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > REGISTRATION_LIMITS.maxTimeoutS) {
    throw new RelayError('INVALID_FIELD', `timeout_s must be a whole number of seconds from 1 to ${REGISTRATION_LIMITS.maxTimeoutS}`);
  }
  return number;
}

/** Validates a registration body; throws a RelayError that names the field. */
export function parseRegistration(body: unknown, allowedPrefixes: readonly string[], blockPrivate = false): RegistrationInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RelayError('INVALID_REQUEST', 'the body must be a JSON object with trace_id and server_uri');
  const fields = body as Body;
  const traceId = required(fields, ['trace_id', 'traceId'], 'trace_id', REGISTRATION_LIMITS.traceIdLength);
  const serverUri = parseServerUri(required(fields, ['server_uri', 'uri', 'serverUri'], 'server_uri', REGISTRATION_LIMITS.serverUriLength), allowedPrefixes, blockPrivate);
  const appId = pickString(fields, ['app_id', 'appId'], 'app_id') || undefined;
  if (appId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(appId)) throw new RelayError('INVALID_FIELD', 'app_id must be 1 to 64 letters, digits, _ or -');
  return { traceId, serverUri, appId, timeoutS: parseTimeout(fields) };
}
