import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/env-variables.ts';
import { readRawBody, receiveForwarded, refusalOf } from '../sdk/middleware.ts';

const USAGE = `Usage: callback-relay receive [options]

A business server for trying the relay: listens, prints every forward and timeout
notice it receives (headers the relay sets, then the body as it arrived), and answers.
With a signing secret it checks each request's Standard Webhooks signature as your
server should, and answers 401 to one that does not verify.

  --port <n>        port to listen on (default 8080)
  --host <addr>     address to listen on (default 127.0.0.1)
  --status <code>   the status to answer (default 200; e.g. 503 to watch the retries)
  --secret <whsec>  the relay's RELAY_SIGNING_SECRET (default: $RELAY_SIGNING_SECRET; unset: not checked)
  --quiet           print one line per request, without the body`;

const OPTIONS = {
  port: { type: 'string', default: '8080' },
  host: { type: 'string', default: '127.0.0.1' },
  status: { type: 'string', default: '200' },
  secret: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function integerIn(name: string, value: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new ConfigError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return parsed;
}

function headerOf(request: IncomingMessage, name: string): string {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '-';
}

/** `callback-relay receive`: a receiver that shows what the relay sends, for the README's story and for debugging a setup. */
export async function runReceiveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = integerIn('port', values.port, 0, 65_535);
  const status = integerIn('status', values.status, 200, 599);
  const secret = values.secret ?? (process.env.RELAY_SIGNING_SECRET?.trim() || undefined);
  const secrets = secret?.split(/\s+/).filter(Boolean);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readRawBody(request, 1_048_576);
    const line = `${new Date().toISOString()}  ${request.method} ${request.url}  ${headerOf(request, 'x-relay-event')}  trace ${headerOf(request, 'x-relay-trace-id')}  attempt ${headerOf(request, 'x-relay-attempt')}  delivery ${headerOf(request, 'x-relay-delivery-id')}${request.headers['x-relay-late'] === 'true' ? '  late' : ''}`;
    try {
      // The SDK's own check, so what this prints is what a Node receiver built on it would decide.
      receiveForwarded(request.headers, body, { secrets });
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      console.log(`${line}  → ${refusal.status} ${refusal.body.error.code}: ${refusal.body.error.message}`);
      response.writeHead(refusal.status, { 'content-type': 'application/json' }).end(JSON.stringify(refusal.body));
      return;
    }
    console.log(`${line}  ${headerOf(request, 'content-type')}${secrets ? '  signature valid' : ''}  → ${status}`);
    if (!values.quiet) console.log(`  ${body.toString('utf8').replace(/\n/g, '\n  ')}`);
    response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now');
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.log(`${new Date().toISOString()}  ${request.method} ${request.url}  → 400 ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(400).end();
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, values.host, resolve));
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  console.log(`receiving on http://${values.host}:${bound}/ (any path), answering ${status}${secrets ? ', checking signatures' : ', signatures not checked'}; Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
