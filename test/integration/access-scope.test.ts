import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { push, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { RelayProcess } from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

const ADMIN_KEY = 'admin-key-7c1f0e9a55';
const KEY_A = 'project-a-key-4b1d9e2f70aa';
const KEY_B = 'project-b-key-93c0d81e6f21';

describe('API keys scoped to apps and destinations', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  let dir: string;
  beforeAll(async () => {
    business = await BusinessServer.start();
    dir = mkdtempSync(join(tmpdir(), 'relay-scope-'));
    const configFile = join(dir, 'relay.json');
    writeFileSync(configFile, JSON.stringify({
      apps: [{ appId: 'wxa' }, { appId: 'wxb' }],
      scopedApiKeys: [
        { id: 'project-a', key: KEY_A, appIds: ['wxa'], destinationPrefixes: [`${business.url}/a/`] },
        { id: 'project-b', keySha256: createHash('sha256').update(KEY_B).digest('hex'), destinationPrefixes: [`${business.url}/b/`] },
      ],
    }));
    relay = await startRelay({ RELAY_CONFIG: configFile, RELAY_API_KEYS: ADMIN_KEY });
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const registerAs = (key: string | undefined, body: object) => send('POST', `${relay.url}/api/moderate/trace`, body, key ? as(key) : {});
  const read = (key: string, traceId: string, appId = 'wxa') => send('GET', `${relay.url}/api/moderate/trace/${traceId}?app_id=${appId}`, undefined, as(key));

  it('answers 401 without a key or with a wrong one, and stores nothing', async () => {
    const body = { trace_id: 'sc-0', server_uri: `${business.url}/a/0`, app_id: 'wxa' };
    const missing = await registerAs(undefined, body);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect((await registerAs('project-a-key-4b1d9e2f70ab', body)).status).toBe(401);
    expect((await send('POST', `${relay.url}/api/moderate/trace`, body, { authorization: `Basic ${KEY_A}` })).status).toBe(401);
    expect((await read(ADMIN_KEY, 'sc-0')).status).toBe(404);
  });

  it('lets a key register only to its own apps and destination prefixes (403 otherwise, nothing stored)', async () => {
    expect((await registerAs(KEY_A, { trace_id: 'sc-1', server_uri: `${business.url}/a/1`, app_id: 'wxa' })).status).toBe(201);
    const otherServer = await registerAs(KEY_A, { trace_id: 'sc-2', server_uri: `${business.url}/b/2`, app_id: 'wxa' });
    expect(otherServer.status).toBe(403);
    expect(otherServer.body.error.code).toBe('FORBIDDEN');
    const lookAlike = await registerAs(KEY_A, { trace_id: 'sc-2', server_uri: `${business.url}/a/../b/2`, app_id: 'wxa' });
    expect([400, 403]).toContain(lookAlike.status);
    const otherApp = await registerAs(KEY_A, { trace_id: 'sc-3', server_uri: `${business.url}/a/3`, app_id: 'wxb' });
    expect(otherApp.status).toBe(403);
    expect((await read(ADMIN_KEY, 'sc-2')).status).toBe(404);
    expect((await read(ADMIN_KEY, 'sc-3', 'wxb')).status).toBe(404);
    // Project B's key names no apps: any app, but only its own server.
    expect((await registerAs(KEY_B, { trace_id: 'sc-4', server_uri: `${business.url}/b/4`, app_id: 'wxb' })).status).toBe(201);
    expect((await registerAs(KEY_B, { trace_id: 'sc-5', server_uri: `${business.url}/a/5`, app_id: 'wxb' })).status).toBe(403);
  });

  it('lets a key read and replay only its own traces', async () => {
    expect((await read(KEY_A, 'sc-1')).status).toBe(200);
    const foreign = await read(KEY_B, 'sc-1');
    expect(foreign.status).toBe(403);
    expect(foreign.text).not.toContain('/a/1');
    expect((await read(KEY_A, 'sc-4', 'wxb')).status).toBe(403);
    expect((await read(ADMIN_KEY, 'sc-1')).status).toBe(200);
    await push(relay, mediaCheckJson('sc-1'), {}, '/api/wechat/wxa');
    await waitFor(async () => (await read(KEY_A, 'sc-1')).body.status === 'delivered', { what: 'sc-1 delivered' });
    const replayB = await send('POST', `${relay.url}/api/moderate/trace/sc-1/replay?app_id=wxa`, undefined, as(KEY_B));
    expect(replayB.status).toBe(403);
    expect((await read(KEY_A, 'sc-1')).body.deliveries).toHaveLength(1);
    const replayA = await send('POST', `${relay.url}/api/moderate/trace/sc-1/replay?app_id=wxa`, undefined, as(KEY_A));
    expect(replayA.status).toBe(202);
  });

  it('keeps a scoped key inside its scope on redrive and out of relay-wide administration', async () => {
    const foreignApp = await send('POST', `${relay.url}/api/admin/redrive`, { status: 'failed', app_id: 'wxb', dry_run: true }, as(KEY_A));
    expect(foreignApp.status).toBe(403);
    expect((await send('POST', `${relay.url}/api/admin/redrive`, { status: 'failed', dry_run: true }, as(KEY_A))).status).toBe(200);
    for (const path of ['/api/admin/audit', '/api/admin/destinations', '/api/callbacks']) {
      expect((await send('GET', `${relay.url}${path}`, undefined, as(KEY_A))).status, path).toBe(403);
      expect((await send('GET', `${relay.url}${path}`, undefined, as(ADMIN_KEY))).status, path).toBe(200);
    }
    const audit = await send('GET', `${relay.url}/api/admin/audit`, undefined, as(ADMIN_KEY));
    expect(audit.body.entries.map((entry: any) => entry.actor)).toEqual(expect.arrayContaining(['key:project-a']));
    expect(audit.text).not.toContain(KEY_A);
  });
});

describe('the start log about access', () => {
  it('says the APIs are loopback-only without keys, and never prints a key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-startlog-'));
    const open = new RelayProcess({ DATABASE_URL: `sqlite:${join(dir, 'a.db')}`, RELAY_API_KEYS: '' });
    const keyed = new RelayProcess({
      DATABASE_URL: `sqlite:${join(dir, 'b.db')}`, RELAY_API_KEYS: `${ADMIN_KEY},${KEY_A}`, RELAY_SIGNING_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      WECHAT_APPID: 'wx8f16a5be77871234', WECHAT_TOKEN: 'tok3nV4lue9', WECHAT_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', LOG_LEVEL: 'debug',
    });
    try {
      await open.start();
      expect(open.output.join('\n')).toContain('loopback clients only');
      await keyed.start();
      await send('POST', `${keyed.url}/api/moderate/trace`, { trace_id: 'k', server_uri: 'http://127.0.0.1:9/x' }, { authorization: `Bearer ${KEY_A}x` });
      await send('POST', `${keyed.url}/api/wechat?signature=bad&timestamp=1&nonce=2`, '{}', { 'content-type': 'application/json' });
      await keyed.terminate();
      const log = keyed.output.join('\n');
      expect(log).not.toContain('loopback clients only');
      for (const secret of [ADMIN_KEY, KEY_A, 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'tok3nV4lue9', 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG']) expect(log).not.toContain(secret);
    } finally {
      await open.terminate();
      await keyed.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
