import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type RelayApp } from '../app/build-app.ts';
import { createRelayLogger } from '../app/relay-logger.ts';
import { loadConfig } from '../config/load-config.ts';
import { DemoBusinessServer, type ReceivedForward } from './demo-servers.ts';
import { playStory, type StoryTrace } from './demo-story.ts';
import { startFakeWechatApi } from '../simulator/fake-wechat-api.ts';

export interface DemoOptions {
  /** Relay port; 0 picks a free one. */
  port: number;
  say: (line: string) => void;
  /** Seconds before the deadline of the traces meant to time out. Default 3. */
  shortTimeoutS?: number;
}

export interface RunningDemo {
  relayUrl: string;
  dashboardUrl: string;
  traces: StoryTrace[];
  relay: RelayApp;
  close(): Promise<void>;
}

export const DEMO_APP_ID = 'wxdemo0000000001';
export const DEMO_TOKEN = 'demo-token';
/** A fixed, public EncodingAESKey: the demo's pushes are encrypted as in safe mode, never secret. */
const DEMO_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
/** The demo's relay holds the token of the app against the project's fake WeChat API, never WeChat's. */
const DEMO_APP_SECRET = 'demo-app-secret';

function describeForward(forward: ReceivedForward): string {
  const kind = forward.event === 'callback.timeout' ? 'timeout notice  ' : 'verdict         ';
  const late = forward.isLate ? '  (x-relay-late: true)' : '';
  return `  relay  → ${forward.server.padEnd(6)}  ${kind}${forward.traceId} attempt ${forward.attempt} → ${forward.status}${late}`;
}

async function startRelay(port: number, databaseFile: string, wechatApiBase: string): Promise<{ relay: RelayApp; url: string }> {
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: `sqlite:${databaseFile}`,
    RELAY_SQLITE_SYNCHRONOUS: 'normal',
    WECHAT_APPID: DEMO_APP_ID,
    WECHAT_TOKEN: DEMO_TOKEN,
    WECHAT_ENCODING_AES_KEY: DEMO_AES_KEY,
    WECHAT_APP_SECRET: DEMO_APP_SECRET,
    WECHAT_API_BASE: wechatApiBase,
    RELAY_SWEEP_INTERVAL_MS: '200',
    RELAY_RETRY_SCHEDULE: '1s,1s,2s,5s',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  });
  const relay = await buildApp({ config, logger: createRelayLogger(config.logLevel) });
  try {
    return { relay, url: (await relay.start()) ?? '' };
  } catch (error) {
    await relay.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Plays the relay's story against a real relay and two real business servers,
 * then leaves everything running for the dashboard until `close()`.
 */
export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const { say } = options;
  const dir = mkdtempSync(join(tmpdir(), 'callback-relay-demo-'));
  const onForward = (forward: ReceivedForward) => say(describeForward(forward));
  const test = await new DemoBusinessServer('test', () => 200, onForward).listen();
  // Prod's /flaky path is "deploying": it answers 503 twice, then recovers.
  const prod = await new DemoBusinessServer('prod', (path, seen) => (path.startsWith('/flaky') && seen < 2 ? 503 : 200), onForward).listen();
  const wechat = await startFakeWechatApi({ apps: [{ appId: DEMO_APP_ID, secret: DEMO_APP_SECRET }] });
  let started: { relay: RelayApp; url: string };
  try {
    started = await startRelay(options.port, join(dir, 'relay.db'), wechat.url);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    say(`Port ${options.port} is taken; using a free one.`);
    started = await startRelay(0, join(dir, 'relay.db'), wechat.url);
  }
  const { relay, url } = started;
  const close = async () => {
    await relay.close();
    await Promise.all([test.close(), prod.close(), wechat.close()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    say(`relay ${url}  ·  test server ${test.url}  ·  prod server ${prod.url}  ·  fake WeChat API ${wechat.url}\n`);
    const traces = await playStory({
      relayUrl: url, testUrl: test.url, prodUrl: prod.url, app: { appId: DEMO_APP_ID, token: DEMO_TOKEN, encodingAesKey: DEMO_AES_KEY },
      say, shortTimeoutS: options.shortTimeoutS ?? 3, runId: `demo${Date.now().toString(36)}`,
    });
    say('\nWhat happened to each trace:');
    for (const trace of traces) say(`  ${trace.traceId.padEnd(24)} ${trace.expected.padEnd(10)} ${trace.label}`);
    say(`\nForwards received: test ${test.received.length}, prod ${prod.received.length}.`);
    return { relayUrl: url, dashboardUrl: `${url}/dashboard`, traces, relay, close };
  } catch (error) {
    await close();
    throw error;
  }
}
