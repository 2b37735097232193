import { CLIENT_HELP, EXIT, UsageError, clientFrom, parseClientArgs, reportFailure } from './client-options.ts';

const HELP = `Usage: callback-relay register <trace_id> <server_uri> [--app-id <id>] [--timeout-s <n>]

Registers (trace_id → server_uri) with the relay, as a business server does right
after WeChat returns a trace_id.

  --app-id <id>     which configured mini program (default: the relay's)
  --timeout-s <n>   seconds until the timeout notice (default: the relay's, 1800)

${CLIENT_HELP}`;

/** `callback-relay register`. */
export async function runRegisterCommand(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parseClientArgs(args, { 'app-id': { type: 'string' }, 'timeout-s': { type: 'string' } });
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    const [traceId, serverUri, ...rest] = positionals;
    if (!traceId || !serverUri || rest.length > 0) throw new UsageError('give exactly a trace_id and a server_uri');
    const timeoutText = values['timeout-s'];
    const timeoutS = timeoutText === undefined ? undefined : Number(timeoutText);
    if (timeoutS !== undefined && !Number.isInteger(timeoutS)) throw new UsageError(`--timeout-s must be a whole number of seconds, not "${timeoutText}"`);
    const registration = await clientFrom(values).register({ traceId, serverUri, appId: values['app-id'], timeoutS });
    if (values.json) console.log(JSON.stringify(registration, null, 2));
    else console.log(`${registration.created ? 'registered' : 'already registered'}: ${registration.trace_id} → ${registration.server_uri} (app ${registration.app_id}, deadline ${registration.deadline_at})`);
    return EXIT.ok;
  } catch (error) {
    return reportFailure('register', error);
  }
}
