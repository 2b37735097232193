import { EXIT, CLIENT_HELP, clientFrom, parseClientArgs, reportFailure, UsageError } from './client-options.ts';

const HELP = `Usage: callback-relay token [--app <appid>]

Shows the access_token the relay holds for an app, masked, and when it expires.
The relay renews it by itself; this is for checking that it does.

  --app <appid>   which app (default: the relay's WECHAT_* app)

${CLIENT_HELP}`;

/** Enough of the token to tell two apart in a log, never enough to use it. */
export function maskToken(token: string): string {
  return token.length <= 12 ? '***' : `${token.slice(0, 4)}…${token.slice(-4)} (${token.length} characters)`;
}

function describeRemaining(ms: number): string {
  if (ms <= 0) return 'expired';
  const minutes = Math.floor(ms / 60_000);
  return minutes >= 60 ? `in ${Math.floor(minutes / 60)} h ${minutes % 60} min` : `in ${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
}

/** `callback-relay token`: the relay's access_token for one app, masked (the `--json` answer too). */
export async function runTokenCommand(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parseClientArgs(args, { app: { type: 'string' } });
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`takes no positional arguments, got ${positionals.join(' ')}`);
    const answer = await clientFrom(values).accessToken(values.app);
    const masked = { ...answer, access_token: maskToken(answer.access_token) };
    console.log(values.json ? JSON.stringify(masked, null, 2)
      : `${answer.app_id}  ${masked.access_token}\n  expires  ${answer.expires_at} (${describeRemaining(Date.parse(answer.expires_at) - Date.now())})`);
    return EXIT.ok;
  } catch (error) {
    return reportFailure('token', error);
  }
}
