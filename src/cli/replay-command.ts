import { CLIENT_HELP, EXIT, UsageError, clientFrom, parseClientArgs, reportFailure } from './client-options.ts';

const HELP = `Usage: callback-relay replay <trace_id> [--app-id <id>]

Re-sends a trace's stored verdict — or, when no verdict ever came, its timeout
notice — to its server_uri as a new delivery, retried like any other.

  --app-id <id>   which configured mini program (default: the relay's)

A trace that is still pending (NOTHING_TO_REPLAY) or being delivered right now
(DELIVERY_IN_PROGRESS) is refused: exit 1.

${CLIENT_HELP}`;

/** `callback-relay replay`. */
export async function runReplayCommand(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parseClientArgs(args, { 'app-id': { type: 'string' } });
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    const [traceId, ...rest] = positionals;
    if (!traceId || rest.length > 0) throw new UsageError('give exactly one trace_id');
    const queued = await clientFrom(values).replay(traceId, values['app-id']);
    if (values.json) console.log(JSON.stringify(queued, null, 2));
    else console.log(`queued: ${queued.kind === 'timeout' ? 'timeout notice' : 'verdict'} of ${queued.trace_id} (app ${queued.app_id}) as delivery ${queued.delivery_id}`);
    return EXIT.ok;
  } catch (error) {
    return reportFailure('replay', error);
  }
}
