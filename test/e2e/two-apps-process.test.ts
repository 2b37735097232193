import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEvent, mediaCheckEvent } from '../../src/simulator/sample-events.ts';
import { BusinessServer } from '../helpers/business-server.ts';
import { register, type TestRelay } from '../helpers/relay-harness.ts';
import { COMPAT_XML_APP, SAFE_JSON_APP, writeRelayConfig } from '../helpers/wechat-config.ts';
import { waitFor } from '../helpers/wait-for.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'callback-relay.js');
const run = promisify(execFile);

/** The relay as an operator runs it: its own process, configured by RELAY_CONFIG, pushed to by `simulate`. */
describe('a relay process with a safe-mode JSON app and a compatible-mode XML app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-e2e-'));
  let child: ChildProcess;
  let relayUrl = '';
  let business: BusinessServer;
  let configPath: string;
  beforeAll(async () => {
    business = await BusinessServer.start();
    configPath = writeRelayConfig({ apps: [SAFE_JSON_APP, COMPAT_XML_APP] });
    child = spawn(process.execPath, [BIN, 'start'], {
      env: { PATH: process.env.PATH ?? '', RELAY_CONFIG: configPath, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'relay.db')}`, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    relayUrl = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the relay exited with ${code}`)));
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === 'callback-relay started' && entry.address) resolve(entry.address);
      });
    });
  });
  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await business.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers each app\'s simulated push to its registered server, decrypted, byte for byte', async () => {
    const relay = { url: relayUrl } as TestRelay;
    for (const app of [SAFE_JSON_APP, COMPAT_XML_APP]) {
      const traceId = `e2e-${app.appId}`;
      expect((await register(relay, { trace_id: traceId, server_uri: `${business.url}/${app.format}`, app_id: app.appId })).status).toBe(201);
      const { stdout } = await run(process.execPath, [BIN, 'simulate', '--url', relayUrl, '--appid', app.appId, '--trace-id', traceId], { env: { PATH: process.env.PATH ?? '', RELAY_CONFIG: configPath } });
      expect(stdout).toContain(`${app.mode} ${app.format} push for ${app.appId} → 200 success`);
      // What the simulator printed as the plain-mode message is what the server must receive.
      const printed = stdout.split('receives):\n')[1]?.trimEnd();
      const forwarded = await waitFor(() => business.requests.find((item) => item.path === `/${app.format}`), { what: `${app.format} forward` });
      expect(forwarded.body.toString('utf8')).toBe(printed);
      expect(forwarded.headers['content-type']).toContain(app.format === 'json' ? 'application/json' : 'text/xml');
      // …and it is the media check of this app and trace, in this app's format.
      expect(printed).toBe(formatEvent(app.format, { ...mediaCheckEvent({ appId: app.appId, traceId }), CreateTime: extractCreateTime(printed ?? '') }));
    }
  });
});

function extractCreateTime(message: string): number {
  const match = /"CreateTime":(\d+)|<CreateTime>(\d+)<\/CreateTime>/.exec(message);
  return Number(match?.[1] ?? match?.[2]);
}
