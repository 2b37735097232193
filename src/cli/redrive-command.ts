import type { RedriveInput } from '../sdk/relay-client.ts';
import { CLIENT_HELP, EXIT, UsageError, clientFrom, parseClientArgs, reportFailure } from './client-options.ts';

const HELP = `Usage: callback-relay redrive --status failed [--since <time>] [--until <time>]
                              [--app-id <id>] [--destination-prefix <url>] [--dry-run]

Queues a new delivery for every failed trace that matches, retried like any other.
It first asks the relay how many match and prints that count; --dry-run stops there.

  --status failed              which traces (only failed ones are redriven)
  --since <time>               registered at or after (ISO 8601 or epoch ms)
  --until <time>               registered before (ISO 8601 or epoch ms)
  --app-id <id>                one configured mini program (default: all the key may use)
  --destination-prefix <url>   only traces whose server_uri starts with this
  --dry-run                    only count; queue nothing

The relay redrives in one request, so there is no progress to show while it works:
the count comes before, the result after.

${CLIENT_HELP}`;

const OPTIONS = {
  status: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'app-id': { type: 'string' },
  'destination-prefix': { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

/** ISO 8601 (as the relay reads it) or epoch milliseconds; checked here so a typo costs no request. */
function parseTime(text: string | undefined, name: string): { value: string | number; ms: number } | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return { value: Number(text), ms: Number(text) };
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} must be an ISO 8601 time (e.g. 2026-01-31T02:00:00Z) or epoch milliseconds, not "${text}"`);
  return { value: text, ms };
}

function redriveInput(values: { status?: string; since?: string; until?: string; 'app-id'?: string; 'destination-prefix'?: string }): RedriveInput {
  if (values.status === undefined) throw new UsageError('--status failed is required');
  if (values.status !== 'failed') throw new UsageError(`--status must be "failed" (only failed traces are redriven), not "${values.status}"`);
  const since = parseTime(values.since, 'since');
  const until = parseTime(values.until, 'until');
  if (since && until && until.ms <= since.ms) throw new UsageError('--until must be later than --since');
  return { status: 'failed', since: since?.value, until: until?.value, appId: values['app-id'], destinationPrefix: values['destination-prefix'] };
}

/**
 * The relay redrives in one request, so a bar would be made up: on a terminal, a line
 * says what is being waited for, and is wiped if it fails so the failure stays one line.
 */
async function withWaitingLine<T>(text: string, work: () => Promise<T>): Promise<T> {
  const tty = process.stderr.isTTY === true;
  if (tty) process.stderr.write(text);
  try {
    const result = await work();
    if (tty) process.stderr.write(' done\n');
    return result;
  } catch (error) {
    if (tty) process.stderr.write('\r\x1b[K');
    throw error;
  }
}

/** `callback-relay redrive`. */
export async function runRedriveCommand(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parseClientArgs(args, OPTIONS);
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const input = redriveInput(values);
    const client = clientFrom(values);
    const count = await client.redrive({ ...input, dryRun: true });
    if (values['dry-run'] || count.matched === 0) {
      const text = values['dry-run'] ? `dry run: ${count.matched} failed trace(s) match; nothing queued` : 'no failed trace matches; nothing to redrive';
      console.log(values.json ? JSON.stringify(count, null, 2) : text);
      return EXIT.ok;
    }
    if (!values.json) console.log(`${count.matched} failed trace(s) match`);
    const result = await withWaitingLine(`redriving ${count.matched} trace(s) in one request to the relay…`, () => client.redrive({ ...input, dryRun: false }));
    console.log(values.json ? JSON.stringify(result, null, 2) : `redriven: ${result.redriven} of ${result.matched} matching trace(s) queued for delivery`);
    return EXIT.ok;
  } catch (error) {
    return reportFailure('redrive', error);
  }
}
