import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { register, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { COMPAT_XML_APP, SAFE_JSON_APP, writeRelayConfig } from '../helpers/wechat-config.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'callback-relay.js');

/** Runs the real command line in its own process; resolves with its exit code and output. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('callback-relay simulate', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  let configPath: string;
  beforeAll(async () => {
    business = await BusinessServer.start();
    configPath = writeRelayConfig({ apps: [SAFE_JSON_APP, COMPAT_XML_APP] });
    relay = await startRelay({ RELAY_CONFIG: configPath });
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  it('pushes a safe-mode JSON and a compatible-mode XML media check that reach the registered servers', async () => {
    for (const app of [SAFE_JSON_APP, COMPAT_XML_APP]) {
      const traceId = `cli-${app.format}`;
      await register(relay, { trace_id: traceId, server_uri: `${business.url}/${traceId}`, app_id: app.appId });
      const result = await cli(['simulate', '--url', relay.url, '--appid', app.appId, '--trace-id', traceId, '--suggest', 'risky'], { RELAY_CONFIG: configPath });
      expect(result.stdout).toContain(`${app.mode} ${app.format} push for ${app.appId} → 200 success`);
      expect(result.code).toBe(0);
    }
    const requests = await business.waitForRequests(2);
    const json = requests.find((item) => item.path === '/cli-json');
    expect(JSON.parse(json?.body.toString('utf8') ?? '{}')).toMatchObject({ Event: 'wxa_media_check', trace_id: 'cli-json', result: { suggest: 'risky' } });
    const xml = requests.find((item) => item.path === '/cli-xml');
    expect(xml?.body.toString('utf8')).toContain('<trace_id><![CDATA[cli-xml]]></trace_id>');
  });

  it('works without any relay configuration, from flags alone, and prints the request on --dry-run', async () => {
    const result = await cli(['simulate', '--url', relay.url, '--appid', SAFE_JSON_APP.appId, '--token', SAFE_JSON_APP.token, '--aes-key', SAFE_JSON_APP.encodingAesKey, '--mode', 'safe', '--event', 'debug_demo', '--dry-run'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/api\/wechat\/wxsafejson0000001\?timestamp=\d+&nonce=\d+&signature=[0-9a-f]{40}&openid=.*&encrypt_type=aes&msg_signature=[0-9a-f]{40}/);
    expect(result.stdout).toContain('"Encrypt":"');
  });

  it('exits non-zero with a clear message on bad options or a refused push', async () => {
    expect((await cli(['simulate', '--mode', 'secret'], {})).stderr).toContain('--mode must be one of plain, compatible, safe');
    const refused = await cli(['simulate', '--url', relay.url, '--appid', SAFE_JSON_APP.appId, '--token', 'wrong-token', '--aes-key', SAFE_JSON_APP.encodingAesKey], {});
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('401');
  });
});

describe('callback-relay start with a bad EncodingAESKey', () => {
  it('stops before listening with a message naming the variable', async () => {
    const result = await cli(['start'], { WECHAT_APPID: 'wx1', WECHAT_TOKEN: 't', WECHAT_ENCODING_AES_KEY: 'short', DATABASE_URL: 'sqlite::memory:', PORT: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('WECHAT_ENCODING_AES_KEY must be the console\'s 43-character EncodingAESKey, got 5 characters');
  });
});
