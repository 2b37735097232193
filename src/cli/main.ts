import { ConfigError } from '../config/env-variables.ts';
import { LISTEN_USAGE, MIGRATE_USAGE, START_USAGE } from './command-usage.ts';

export type Command = (args: string[]) => Promise<number>;

/**
 * Each command is loaded only when it runs, so `--help`, a typo or `status`
 * does not pay for loading the server, the drivers and the store.
 * `usage`: the command takes no options of its own beyond --help; main prints it for
 * -h/--help and refuses any other argument, before the command opens a port or a
 * database. Commands without it parse their own options (and --help) first.
 */
const COMMANDS: Record<string, { run: Command; summary: string; usage?: string }> = {
  start: { run: () => import('./start-command.ts').then((m) => m.runStartCommand()), summary: 'run the relay (HTTP API, delivery worker, deadline sweeper)', usage: START_USAGE },
  migrate: { run: () => import('./migrate-command.ts').then((m) => m.runMigrateCommand()), summary: 'apply database migrations and exit', usage: MIGRATE_USAGE },
  register: { run: (args) => import('./register-command.ts').then((m) => m.runRegisterCommand(args)), summary: 'register a trace_id with its server_uri (as a business server does)' },
  status: { run: (args) => import('./status-command.ts').then((m) => m.runStatusCommand(args)), summary: 'tell what happened to a trace: status, push, every attempt' },
  replay: { run: (args) => import('./replay-command.ts').then((m) => m.runReplayCommand(args)), summary: 're-send a trace\'s verdict (or timeout notice) as a new delivery' },
  redrive: { run: (args) => import('./redrive-command.ts').then((m) => m.runRedriveCommand(args)), summary: 'count, then re-send, failed traces (--status failed, --since, --dry-run)' },
  demo: { run: (args) => import('./demo-command.ts').then((m) => m.runDemoCommand(args)), summary: 'play the relay\'s story with two business servers, then leave the dashboard open' },
  simulate: { run: (args) => import('./simulate-command.ts').then((m) => m.runSimulateCommand(args)), summary: 'sign, encrypt and push a WeChat event to a relay (see simulate --help)' },
  receive: { run: (args) => import('./receive-command.ts').then((m) => m.runReceiveCommand(args)), summary: 'a business server for trying the relay: prints every forward and notice it gets' },
  token: { run: (args) => import('./token-command.ts').then((m) => m.runTokenCommand(args)), summary: 'show the access_token the relay holds for an app, masked, and its expiry' },
  'fake-wechat-api': { run: (args) => import('./fake-wechat-api-command.ts').then((m) => m.runFakeWechatApiCommand(args)), summary: 'a stand-in for WeChat\'s server API, for trying /wxapi without WeChat' },
  listen: { run: (args) => import('./listen-command.ts').then((m) => m.runListenCommand(args)), summary: 'dev tunnel: receive the deliveries of tunnel://<name> on this machine' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(16)} ${command.summary}`);
  return ['Usage: callback-relay <command> [options]', '', 'Commands:', ...lines, '', 'Configuration comes from environment variables (see README).'].join('\n');
}

/** Runs one CLI command and returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`callback-relay: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (name === 'listen' && wantsHelp) {
    console.log(LISTEN_USAGE);
    return 0;
  }
  if (command.usage) {
    if (wantsHelp) {
      console.log(command.usage);
      return 0;
    }
    if (rest.length > 0) {
      console.error(`callback-relay ${name}: takes no arguments, got ${rest.join(' ')}\n\n${command.usage}`);
      return 2;
    }
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`callback-relay: ${error.message}`);
      return 2;
    }
    console.error(`callback-relay ${name} failed: ${(error as Error).message}`);
    return 1;
  }
}
