import { CLIENT_HELP, runTraceCommand } from './client-options.ts';

const HELP = `Usage: callback-relay replay <trace_id> [--app-id <id>]

Re-sends a trace's stored verdict — or, when no verdict ever came, its timeout
notice — to its server_uri as a new delivery, retried like any other.

  --app-id <id>   which configured mini program (default: the relay's)

A trace that is still pending (NOTHING_TO_REPLAY) or being delivered right now
(DELIVERY_IN_PROGRESS) is refused: exit 1.

${CLIENT_HELP}`;

/** `callback-relay replay`. */
export function runReplayCommand(args: string[]): Promise<number> {
  return runTraceCommand('replay', HELP, args, async (client, traceId, values) => {
    const queued = await client.replay(traceId, values.appId);
    if (values.json) console.log(JSON.stringify(queued, null, 2));
    else console.log(`queued: ${queued.kind === 'timeout' ? 'timeout notice' : 'verdict'} of ${queued.trace_id} (app ${queued.app_id}) as delivery ${queued.delivery_id}`);
  });
}
