import { RelayError } from '../errors/relay-error.ts';

export interface RedriveRequest {
  appId: string | undefined;
  destinationPrefix: string | undefined;
  since: number | undefined;
  until: number | undefined;
  isDryRun: boolean;
}

/** An ISO 8601 time or epoch milliseconds. */
function parseTime(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'number' ? value : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) throw new RelayError('INVALID_FIELD', `${name} must be an ISO 8601 time (e.g. 2026-01-31T02:00:00Z) or epoch milliseconds`);
  return ms;
}

function optionalString(value: unknown, name: string, pattern: RegExp, hint: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw new RelayError('INVALID_FIELD', `${name} must be ${hint}`);
  return value;
}

/** Validates `POST /api/admin/redrive`'s body. */
export function parseRedriveRequest(body: unknown): RedriveRequest {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RelayError('INVALID_REQUEST', 'the body must be a JSON object such as {"status":"failed","dry_run":true}');
  }
  const fields = body as Record<string, unknown>;
  if (fields.status !== 'failed') throw new RelayError('INVALID_FIELD', 'status must be "failed": only failed traces are redriven');
  const dryRun = fields.dry_run ?? fields.dryRun ?? false;
  if (typeof dryRun !== 'boolean') throw new RelayError('INVALID_FIELD', 'dry_run must be true or false');
  const since = parseTime(fields.since, 'since');
  const until = parseTime(fields.until, 'until');
  if (since !== undefined && until !== undefined && until <= since) throw new RelayError('INVALID_FIELD', 'until must be later than since');
  return {
    appId: optionalString(fields.app_id ?? fields.appId, 'app_id', /^[A-Za-z0-9_-]{1,64}$/, '1 to 64 letters, digits, _ or -'),
    // eslint-disable-next-line no-control-regex
    destinationPrefix: optionalString(fields.destination_prefix ?? fields.destinationPrefix, 'destination_prefix', /^[^\u0000-\u001f\u007f]{1,2048}$/, 'a URL prefix of up to 2048 characters'),
    since,
    until,
    isDryRun: dryRun,
  };
}
