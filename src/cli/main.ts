import { ConfigError } from '../config/env-variables.ts';
import { runDemoCommand } from './demo-command.ts';
import { runMigrateCommand } from './migrate-command.ts';
import { runRegisterCommand } from './register-command.ts';
import { runStatusCommand } from './status-command.ts';
import { runReplayCommand } from './replay-command.ts';
import { runRedriveCommand } from './redrive-command.ts';
import { runListenCommand } from './listen-command.ts';
import { runSimulateCommand } from './simulate-command.ts';
import { runStartCommand } from './start-command.ts';

export type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  start: { run: runStartCommand, summary: 'run the relay (HTTP API, delivery worker, deadline sweeper)' },
  migrate: { run: runMigrateCommand, summary: 'apply database migrations and exit' },
  register: { run: runRegisterCommand, summary: 'register a trace_id with its server_uri (as a business server does)' },
  status: { run: runStatusCommand, summary: 'tell what happened to a trace: status, push, every attempt' },
  replay: { run: runReplayCommand, summary: 're-send a trace\'s verdict (or timeout notice) as a new delivery' },
  redrive: { run: runRedriveCommand, summary: 'count, then re-send, failed traces (--status failed, --since, --dry-run)' },
  demo: { run: runDemoCommand, summary: 'play the relay\'s story with two business servers, then leave the dashboard open' },
  simulate: { run: runSimulateCommand, summary: 'sign, encrypt and push a WeChat event to a relay (see simulate --help)' },
  listen: { run: runListenCommand, summary: 'dev tunnel: receive the deliveries of tunnel://<name> on this machine' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`);
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
