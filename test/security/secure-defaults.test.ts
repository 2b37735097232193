import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { CliProcess, NODE_24 } from '../helpers/cli-process.ts';
import { send } from '../helpers/relay-harness.ts';
import { spawnRelay, type RelayProcess } from '../helpers/spawned-relay.ts';
import { countRows } from '../helpers/test-backends.ts';
import { mediaCheckJson, signQuery } from '../helpers/wechat-signer.ts';

/** An address of this machine that is not loopback, when it has one: a real remote sender. */
const OUTSIDE_ADDRESS = '192.0.2.2';
const FORWARDING_HEADERS: Array<Record<string, string>> = [
  { 'x-forwarded-for': '203.0.113.9' },
  { 'x-real-ip': '203.0.113.9' },
  { forwarded: 'for=203.0.113.9;proto=https' },
];

/**
 * The defaults a new operator gets from `npm start`, driven over real HTTP
 * against the relay as its own process: nothing unverified is accepted, and a
 * proxy in front does not open the loopback-only APIs to the internet.
 */
describe('secure defaults, against `callback-relay start`', () => {
  let dir: string;
  let business: BusinessServer;
  const relays: RelayProcess[] = [];
  const start = async (env: Record<string, string>) => {
    const relay = await spawnRelay({ DATABASE_URL: `sqlite:${join(dir, `relay-${relays.length}.db`)}`, RELAY_ACCEPT_UNSIGNED_PUSHES: 'false', RELAY_SWEEP_INTERVAL_MS: '50', ...env });
    relays.push(relay);
    return relay;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-secure-'));
    business = await BusinessServer.start();
  });
  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.stop()));
    await business.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a push to an app without a token with 403, stores and forwards nothing, and says so at start', async () => {
    const relay = await start({});
    const registered = await send('POST', `${relay.url}/api/moderate/trace`, { trace_id: 'forged-1', server_uri: `${business.url}/cb` });
    expect(registered.status).toBe(201);
    const forged = await send('POST', `${relay.url}/api/wechat`, mediaCheckJson('forged-1', 'pass'), { 'content-type': 'application/json' });
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('TOKEN_NOT_CONFIGURED');
    expect(forged.body.error.message).toContain('WECHAT_TOKEN');
    expect(await countRows(`sqlite:${join(dir, 'relay-0.db')}`, 'relay_callbacks')).toBe(0);
    const trace = await send('GET', `${relay.url}/api/moderate/trace/forged-1`);
    expect(trace.body.status).toBe('pending');
    expect(business.requests).toHaveLength(0);
    expect(relay.logs.some((line) => String(line.msg).includes('WECHAT_TOKEN') && String(line.msg).includes('refused'))).toBe(true);
    const ready = await send('GET', `${relay.url}/readyz`);
    expect(ready.body.warnings).toBeUndefined();
  });

  it('takes unsigned pushes only when opted in, only from loopback, and says so at start and in /readyz', async () => {
    const relay = await start({ HOST: '0.0.0.0', RELAY_ACCEPT_UNSIGNED_PUSHES: 'true' });
    const port = new URL(relay.url).port;
    const local = `http://127.0.0.1:${port}`;
    expect((await send('POST', `${local}/api/moderate/trace`, { trace_id: 'local-1', server_uri: `${business.url}/cb` })).status).toBe(201);
    const accepted = await send('POST', `${local}/api/wechat`, mediaCheckJson('local-1'), { 'content-type': 'application/json' });
    expect(accepted.text).toBe('success');
    for (const headers of FORWARDING_HEADERS) {
      const proxied = await send('POST', `${local}/api/wechat`, mediaCheckJson('proxied-1'), { 'content-type': 'application/json', ...headers });
      expect(proxied.status, JSON.stringify(headers)).toBe(403);
      expect(proxied.body.error.code).toBe('TOKEN_NOT_CONFIGURED');
    }
    const remote = await send('POST', `http://${OUTSIDE_ADDRESS}:${port}/api/wechat`, mediaCheckJson('remote-1'), { 'content-type': 'application/json' }).catch(() => undefined);
    if (remote) expect(remote.status).toBe(403);
    expect(relay.logs.some((line) => String(line.msg).includes('RELAY_ACCEPT_UNSIGNED_PUSHES=true'))).toBe(true);
    const ready = await send('GET', `${local}/readyz`);
    expect(ready.body.warnings).toEqual([expect.stringContaining('RELAY_ACCEPT_UNSIGNED_PUSHES')]);
    await business.waitForRequests(1);
  });

  it('answers 401 to registration and admin calls that carry a forwarding header, unless a trusted proxy vouches for a loopback client', async () => {
    const open = await start({});
    const trusting = await start({ RELAY_TRUSTED_PROXIES: '127.0.0.1,::1' });
    const calls = (relay: RelayProcess, headers: Record<string, string>) => [
      send('POST', `${relay.url}/api/moderate/trace`, { trace_id: `p-${Math.random()}`, server_uri: `${business.url}/cb` }, headers),
      send('GET', `${relay.url}/api/moderate/trace/nope`, undefined, headers),
      send('GET', `${relay.url}/api/callbacks`, undefined, headers),
      send('GET', `${relay.url}/api/admin/traces`, undefined, headers),
      send('POST', `${relay.url}/api/moderate/trace/nope/replay`, {}, headers),
      send('POST', `${relay.url}/api/admin/redrive`, { status: 'failed', dry_run: true }, headers),
    ];
    for (const headers of FORWARDING_HEADERS) {
      for (const answer of await Promise.all(calls(open, headers))) {
        expect(answer.status, JSON.stringify(headers)).toBe(401);
        expect(answer.body.error.code).toBe('UNAUTHORIZED');
      }
      // A trusted proxy forwarding for someone on the internet: still not a loopback client.
      for (const answer of await Promise.all(calls(trusting, headers))) expect(answer.status, JSON.stringify(headers)).toBe(401);
    }
    // A trusted proxy forwarding for a client on this machine: allowed, as a direct local client is.
    const vouched = await Promise.all(calls(trusting, { 'x-forwarded-for': '127.0.0.1' }));
    expect(vouched.map((answer) => answer.status)).not.toContain(401);
    expect(vouched[0]!.status).toBe(201);
    const direct = await Promise.all(calls(open, {}));
    expect(direct[0]!.status).toBe(201);
    // An untrusted peer's word is never taken: 127.0.0.1 claimed through a header is still a forwarded request.
    expect((await send('GET', `${open.url}/api/callbacks`, undefined, { 'x-forwarded-for': '127.0.0.1' })).status).toBe(401);
  });

  it('refuses plain-mode pushes whose timestamp is outside the window, either side, and counts them', async () => {
    const relay = await start({ WECHAT_APPID: 'wx8f16a5be77871234', WECHAT_TOKEN: 'tok', RELAY_PUSH_TIMESTAMP_WINDOW_S: '300' });
    const now = Math.floor(Date.now() / 1000);
    // Well past the edges: a second may pass between reading the clock here and there.
    for (const offset of [-330, 330, -3600 * 24 * 365]) {
      const stale = await send('POST', `${relay.url}/api/wechat?${new URLSearchParams(signQuery('tok', String(now + offset)))}`, mediaCheckJson(`stale-${offset}`), { 'content-type': 'application/json' });
      expect(stale.status, `offset ${offset}`).toBe(401);
      expect(stale.body.error.code).toBe('PUSH_TIMESTAMP_STALE');
    }
    const fresh = await send('POST', `${relay.url}/api/wechat?${new URLSearchParams(signQuery('tok', String(now - 200)))}`, mediaCheckJson('fresh-1'), { 'content-type': 'application/json' });
    expect(fresh.text).toBe('success');
    const metrics = await send('GET', `${relay.url}/metrics`);
    expect(metrics.text).toMatch(/relay_pushes_refused_total\{code="PUSH_TIMESTAMP_STALE"\} 3/);
    expect(relay.logs.filter((line) => line.code === 'PUSH_TIMESTAMP_STALE' && typeof line.timestamp_skew_s === 'number')).toHaveLength(3);
  });

  it('matches tunnel names whole: alice\'s key and allowlist entry do not admit alice2', async () => {
    const config = join(dir, 'keys.json');
    writeFileSync(config, JSON.stringify({ scopedApiKeys: [{ id: 'alice', key: 'alice-key-0123456789', destinationPrefixes: ['tunnel://alice'] }] }));
    const keyed = await start({ RELAY_CONFIG: config, RELAY_API_KEYS: 'admin-key-0123456789' });
    const listed = await start({ RELAY_ALLOWED_DESTINATIONS: 'tunnel://alice,http://127.0.0.1' });
    const alice = { authorization: 'Bearer alice-key-0123456789' };
    const registerAt = (relay: RelayProcess, traceId: string, serverUri: string, headers: Record<string, string> = {}) =>
      send('POST', `${relay.url}/api/moderate/trace`, { trace_id: traceId, server_uri: serverUri }, headers);
    for (const relay of [keyed, listed]) {
      const headers = relay === keyed ? alice : {};
      expect((await registerAt(relay, 'a-1', 'tunnel://alice', headers)).status).toBe(201);
      expect((await registerAt(relay, 'a-2', 'tunnel://alice/hooks?x=1', headers)).status).toBe(201);
    }
    const byKey = await registerAt(keyed, 'a-3', 'tunnel://alice2', alice);
    expect(byKey.status).toBe(403);
    expect(byKey.body.error.code).toBe('FORBIDDEN');
    const byList = await registerAt(listed, 'a-4', 'tunnel://alice2/x');
    expect(byList.status).toBe(400);
    expect(byList.body.error.code).toBe('DESTINATION_NOT_ALLOWED');
  });

  it('refuses a second relay on a SQLite file a live relay holds, naming it; after kill -9 the next start goes ahead', async () => {
    const file = join(dir, 'shared.db');
    const first = await spawnRelay({ DATABASE_URL: `sqlite:${file}` });
    const second = CliProcess.relayCli(['start'], { DATABASE_URL: `sqlite:${file}`, HOST: '127.0.0.1', PORT: '0' });
    expect(await second.exited).toBe(1);
    expect(second.lines.join('\n')).toMatch(new RegExp(`in use by another relay \\(process ${first.pid} `));
    await first.kill();
    const third = await spawnRelay({ DATABASE_URL: `sqlite:${file}` });
    relays.push(third);
    expect((await send('GET', `${third.url}/readyz`)).status).toBe(200);
  });
});

describe.concurrent('the start stops on a misspelt RELAY_CONFIG key, at any level, naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cases: Array<[string, object, RegExp]> = [
    ['app', { app: [] }, /top level of RELAY_CONFIG has unknown key\(s\) "app" \(did you mean "apps"\?\).*known keys here are .*apps/],
    ['source', { source: [] }, /unknown key\(s\) "source" \(did you mean "sources"\?\)/],
    ['sources[0].secrte', { sources: [{ name: 'shop', kind: 'hmac', idPath: 'id', secrte: 'x' }] }, /sources\[0\]" has unknown key\(s\) "secrte".*known keys here are .*secret/],
    ['bogus', { bogus: 1 }, /"bogus"/],
    ['apps[0].tokn', { apps: [{ appId: 'wx1', tokn: 'x' }] }, /apps\[0\]" has unknown key\(s\) "tokn" \(did you mean "token"\?\)/],
    ['scopedApiKeys[0].appIDs', { scopedApiKeys: [{ id: 'k', key: 'a-key-of-16-chars', appIDs: ['x'] }] }, /scopedApiKeys\[0\]" has unknown key\(s\) "appIDs"/],
    ['roles.x', { roles: { api: true, worker: true, sweeper: true, x: true } }, /roles.*unknown key\(s\) "x"/],
  ];
  for (const [name, body, message] of cases) {
    it(name, async () => {
      const file = join(dir, `${name.replace(/\W/g, '_')}.json`);
      writeFileSync(file, JSON.stringify(body));
      const start = CliProcess.relayCli(['start'], { RELAY_CONFIG: file, DATABASE_URL: `sqlite:${join(dir, 'never.db')}`, PORT: '0' });
      expect(await start.exited).toBe(2);
      expect(start.lines.join('\n')).toMatch(message);
      expect(existsSync(join(dir, 'never.db'))).toBe(false);
    });
  }
});

/** Every command `callback-relay --help` lists, so a new one is covered the day it is added. */
const LISTED_COMMANDS = execFileSync(NODE_24, [fileURLToPath(new URL('../../bin/callback-relay.js', import.meta.url)), '--help'], { encoding: 'utf8' })
  .split('Commands:')[1]!.split('\n\n')[0]!.trim().split('\n').map((line) => line.trim().split(/\s+/)[0]!);

describe.concurrent('--help on every command prints help and exits 0, opening no port and no database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-help-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('covers every command', () => expect(LISTED_COMMANDS).toEqual(expect.arrayContaining(['start', 'migrate', 'register', 'status', 'replay', 'redrive', 'demo', 'simulate', 'listen', 'receive'])));
  for (const command of LISTED_COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`${command} ${flag}`, async () => {
        const database = join(dir, `${command}${flag}.db`);
        const cli = CliProcess.relayCli([command, flag], { DATABASE_URL: `sqlite:${database}`, PORT: '1', HOST: '127.0.0.1' });
        expect(await cli.exited).toBe(0);
        expect(cli.lines.join('\n')).toMatch(new RegExp(`Usage: callback-relay ${command}`));
        expect(cli.lines.join('\n')).not.toMatch(/callback-relay started|callback-relay: .* is up to date/);
        expect(existsSync(database)).toBe(false);
      });
    }
  }
});
