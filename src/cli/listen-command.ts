import { parseArgs } from 'node:util';
import { ConfigError } from '../config/env-variables.ts';
import { TunnelClient, type ClientEvent } from '../tunnel/tunnel-client.ts';
import { TUNNEL_NAME_PATTERN } from '../destination/tunnel-uri.ts';
import { LISTEN_USAGE } from './command-usage.ts';
import { clientKeyFromEnv } from './client-options.ts';

export interface ListenOptions {
  relay: string;
  name: string;
  forwardTo: string;
  key: string | undefined;
  shouldPrint: boolean;
}

/** Reads the command line; throws ConfigError with what is wrong. */
export function parseListenArgs(args: string[], env: Record<string, string | undefined> = process.env, warn?: (line: string) => void): ListenOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        relay: { type: 'string' }, name: { type: 'string' }, 'forward-to': { type: 'string' },
        key: { type: 'string' }, print: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${LISTEN_USAGE}`);
  }
  const name = values.name ?? '';
  if (!TUNNEL_NAME_PATTERN.test(name)) throw new ConfigError(`--name must be 1 to 63 of a-z, 0-9 and -\n\n${LISTEN_USAGE}`);
  const relay = checkUrl('--relay', values.relay ?? env.RELAY_URL ?? 'http://127.0.0.1:9000');
  const forwardTo = checkUrl('--forward-to', values['forward-to'] ?? '');
  return { relay, name, forwardTo, key: values.key ?? clientKeyFromEnv(env, warn), shouldPrint: values.print ?? false };
}

function checkUrl(flag: string, text: string): string {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text;
  } catch {
    // reported below
  }
  throw new ConfigError(`${flag} must be an http(s) URL, got "${text}"\n\n${LISTEN_USAGE}`);
}

/** One line per event, for a person watching a terminal. */
export function formatEvent(event: ClientEvent, shouldPrint: boolean, now = new Date()): string {
  const time = now.toISOString();
  switch (event.kind) {
    case 'connected':
      return `${time}  connected to ${event.url}; waiting for deliveries`;
    case 'disconnected':
      return `${time}  disconnected: ${event.reason}; reconnecting in ${(event.retryInMs / 1000).toFixed(1)} s (attempt ${event.attempt})`;
    case 'refused':
      return `${time}  refused by the relay: ${event.status} ${event.code}: ${event.message}`;
    case 'delivery': {
      const { frame, result } = event;
      const answer = result.status !== null ? String(result.status) : `${result.failure?.kind ?? 'error'} (${result.failure?.message ?? ''})`;
      const line = `${time}  ${frame.traceId}  attempt ${frame.attempt}  ${frame.headers['x-relay-event'] ?? ''}  → ${answer}  ${result.durationMs} ms`;
      return shouldPrint ? `${line}\n${event.body.toString('utf8')}\n` : line;
    }
  }
}

/** `callback-relay listen`: the dev tunnel's client, until Ctrl-C. */
export async function runListenCommand(args: string[]): Promise<number> {
  const options = parseListenArgs(args);
  const client = new TunnelClient(
    { relayUrl: options.relay, name: options.name, forwardTo: options.forwardTo, key: options.key },
    (event) => (event.kind === 'refused' || event.kind === 'disconnected' ? console.error : console.log)(formatEvent(event, options.shouldPrint)),
  );
  console.log(`${new Date().toISOString()}  tunnel://${options.name} → ${options.forwardTo} via ${client.endpoint}`);
  const stop = (signal: string) => {
    console.log(`${new Date().toISOString()}  ${signal}: closing; a delivery in flight stays unacknowledged and comes again`);
    client.stop();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return client.run();
}
