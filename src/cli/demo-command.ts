import { parseArgs } from 'node:util';
import { DEMO_APP_ID, runDemo } from '../demo/run-demo.ts';

const HELP = `Usage: callback-relay demo [--port <n>] [--exit]

Plays the relay's story in one command: a relay, a "test" and a "prod" business
server, and simulated WeChat pushes (one delivered to each server, a repeated
push, one that times out, one that arrives late, one before its registration,
one whose server fails twice and recovers). Prints what went where, then leaves
the relay running so you can look at the dashboard; Ctrl-C stops it.

Options:
  --port <n>   relay port (default 9000; a free one if taken)
  --exit       stop after the story instead of waiting
  -h, --help   this text`;

/** `callback-relay demo`: exit 0 after a clean run, 1 when the story did not play out. */
export async function runDemoCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, exit: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = values.port === undefined ? Number(process.env.PORT ?? 9000) : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`callback-relay demo: --port must be a port number, not "${values.port}"`);
    return 2;
  }
  const demo = await runDemo({ port, say: (line) => console.log(line) });
  if (values.exit) {
    await demo.close();
    return 0;
  }
  const example = demo.traces[3]?.traceId ?? '';
  console.log([
    '',
    `Dashboard: ${demo.dashboardUrl}`,
    `API docs:  ${demo.relayUrl}/docs`,
    `Try:       npx callback-relay status ${example} --app-id ${DEMO_APP_ID} --relay ${demo.relayUrl}`,
    `      or:  curl '${demo.relayUrl}/api/moderate/trace/${example}?app_id=${DEMO_APP_ID}'`,
    '',
    'The relay keeps running; Ctrl-C stops it.',
  ].join('\n'));
  return new Promise((resolve) => {
    const stop = () => {
      demo.close().then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
