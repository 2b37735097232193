import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RelayApiError, RelayClient, RelayUnreachableError } from '../sdk/relay-client.ts';

/** Exit codes of the client commands, stable for scripts. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3, notAllowed: 4, notFound: 5, conflict: 6 } as const;

export const CLIENT_HELP = `Connection (every client command):
  --relay <url>   the relay's base URL (default $RELAY_URL, else http://127.0.0.1:$PORT or :9000)
  --key <key>     an API key (default $RELAY_API_KEY); never printed
  --json          print the relay's JSON answer instead of text

Exit codes: 0 ok, 1 refused by the relay, 2 bad usage, 3 relay unreachable,
4 key missing or not valid, 5 trace not found, 6 trace registered to another server_uri.`;

const CONNECTION_OPTIONS = {
  relay: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export class UsageError extends Error {}

/** Names the client key once had; still read, with a warning, so that old scripts keep working. */
const DEPRECATED_KEY_VARIABLES = ['CALLBACK_RELAY_KEY', 'RELAY_KEY'] as const;

/**
 * The API key a client command sends when `--key` is not given: $RELAY_API_KEY,
 * the one name every client command and `listen` read (the relay itself takes
 * its keys from RELAY_API_KEYS). An older name still works and says so on stderr.
 */
export function clientKeyFromEnv(env: Record<string, string | undefined> = process.env, warn: (line: string) => void = (line) => console.error(line)): string | undefined {
  if (env.RELAY_API_KEY) return env.RELAY_API_KEY;
  for (const name of DEPRECATED_KEY_VARIABLES) {
    const value = env[name];
    if (value) {
      warn(`callback-relay: ${name} is deprecated and will stop working in a later release; set RELAY_API_KEY instead`);
      return value;
    }
  }
  return undefined;
}

/** Parses a client command's arguments; throws UsageError with a one-line reason. */
export function parseClientArgs<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], extra: T) {
  try {
    return parseArgs({ args, options: { ...CONNECTION_OPTIONS, ...extra }, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's message can run over several lines; a failure is one line.
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
}

export function clientFrom(values: { relay?: string | boolean; key?: string | boolean }): RelayClient {
  const baseUrl = (typeof values.relay === 'string' ? values.relay : undefined) ?? process.env.RELAY_URL ?? `http://127.0.0.1:${process.env.PORT ?? 9000}`;
  try {
    new URL(baseUrl);
  } catch {
    throw new UsageError(`--relay must be a URL such as http://127.0.0.1:9000, not "${baseUrl}"`);
  }
  const apiKey = (typeof values.key === 'string' ? values.key : undefined) ?? clientKeyFromEnv();
  return new RelayClient({ baseUrl, apiKey: apiKey || undefined });
}

/** One line for any failure, and the exit code that names it. */
export function reportFailure(command: string, error: unknown): number {
  if (error instanceof UsageError) {
    console.error(`callback-relay ${command}: ${error.message} (see callback-relay ${command} --help)`);
    return EXIT.usage;
  }
  if (error instanceof RelayUnreachableError) {
    console.error(`callback-relay ${command}: ${error.message}`);
    return EXIT.unreachable;
  }
  if (error instanceof RelayApiError) {
    console.error(`callback-relay ${command}: ${error.code} (${error.status}): ${error.message}`);
    if (error.status === 401 || error.status === 403) return EXIT.notAllowed;
    if (error.code === 'NOT_FOUND') return EXIT.notFound;
    if (error.code === 'TRACE_CONFLICT') return EXIT.conflict;
    return EXIT.refused;
  }
  throw error;
}

/**
 * The shape of a command about one trace (`status`, `replay`): `--help`, exactly one
 * trace id, then `act` with a client for the relay; failures become exit codes.
 */
export async function runTraceCommand(command: string, help: string, args: string[], act: (client: RelayClient, traceId: string, values: TraceCommandValues) => Promise<void>): Promise<number> {
  try {
    const { values, positionals } = parseClientArgs(args, { 'app-id': { type: 'string' } });
    if (values.help) {
      console.log(help);
      return EXIT.ok;
    }
    const [traceId, ...rest] = positionals;
    if (!traceId || rest.length > 0) throw new UsageError('give exactly one trace_id');
    await act(clientFrom(values), traceId, { appId: values['app-id'], json: values.json === true });
    return EXIT.ok;
  } catch (error) {
    return reportFailure(command, error);
  }
}

export interface TraceCommandValues {
  appId: string | undefined;
  json: boolean;
}
