import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { BusinessServer } from '../helpers/business-server.ts';
import { push, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

/** Runs the CLI in-process and captures what it prints. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => out.push(line));
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => err.push(line));
  try {
    return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('callback-relay register and status', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  beforeAll(async () => {
    relay = await startRelay();
    business = await BusinessServer.start();
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });
  afterEach(() => vi.restoreAllMocks());

  it('registers, says so in one line, and is idempotent', async () => {
    const first = await cli(['register', 'cli-1', `${business.url}/cb`, '--relay', relay.url]);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toMatch(/^registered: cli-1 → http:\/\/127\.0\.0\.1:\d+\/cb \(app default, deadline /);
    const again = await cli(['register', 'cli-1', `${business.url}/cb`, '--relay', relay.url, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ trace_id: 'cli-1', created: false, status: 'pending' });
  });

  it('tells the story of a trace, as text or JSON', async () => {
    await cli(['register', 'cli-2', `${business.url}/cb`, '--relay', relay.url]);
    await push(relay, mediaCheckJson('cli-2'));
    await waitFor(async () => (await cli(['status', 'cli-2', '--relay', relay.url])).out.includes('delivered'), { what: 'cli-2 delivered' });
    const text = await cli(['status', 'cli-2', '--relay', relay.url]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^cli-2 {2}delivered\n/);
    expect(text.out).toMatch(/verdict #1 {2}→ 200 {2}\d+ ms {2}"ok"/);
    const json = await cli(['status', 'cli-2', '--relay', relay.url, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ trace_id: 'cli-2', status: 'delivered', attempts: [expect.objectContaining({ http_status: 200 })] });
  });

  it('exits with a code that names the failure, after one line on stderr', async () => {
    const notFound = await cli(['status', 'no-such-trace', '--relay', relay.url]);
    expect(notFound.code).toBe(5);
    expect(notFound.err).toMatch(/^callback-relay status: NOT_FOUND \(404\): /);
    expect(notFound.err.split('\n')).toHaveLength(1);

    const conflict = await cli(['register', 'cli-1', `${business.url}/elsewhere`, '--relay', relay.url]);
    expect(conflict.code).toBe(6);
    expect(conflict.err).toContain('TRACE_CONFLICT');

    const refused = await cli(['register', 'cli-3', 'ftp://nope', '--relay', relay.url]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('INVALID_SERVER_URI');

    const unreachable = await cli(['status', 'cli-1', '--relay', `http://127.0.0.1:${await closedPort()}`]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.err).toMatch(/^callback-relay status: cannot reach the relay at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/);

    for (const args of [['status'], ['register', 'only-one'], ['status', 'x', '--bogus'], ['register', 'a', 'b', '--timeout-s', 'soon'], ['status', 'x', '--relay', 'not a url']]) {
      const usage = await cli(args);
      expect(usage.code, args.join(' ')).toBe(2);
      expect(usage.err.split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('has --help for each command', async () => {
    for (const command of ['register', 'status']) {
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toContain(`Usage: callback-relay ${command}`);
      expect(help.out).toContain('Exit codes');
    }
  });
});

describe('callback-relay status against a relay with API keys', () => {
  let relay: TestRelay;
  const KEY = 'cli-test-key-123';
  beforeAll(async () => {
    relay = await startRelay({ RELAY_API_KEYS: KEY });
  });
  afterAll(async () => relay.close());

  it('says the key is wrong in one line, exit 4, and never prints the key', async () => {
    const wrong = await cli(['status', 'x', '--relay', relay.url, '--key', 'not-the-key-999']);
    expect(wrong.code).toBe(4);
    expect(wrong.err).toMatch(/^callback-relay status: UNAUTHORIZED \(401\): /);
    expect(wrong.err).not.toContain('not-the-key-999');
    const missing = await cli(['status', 'x', '--relay', relay.url]);
    expect(missing.code).toBe(4);
    const right = await cli(['status', 'x', '--relay', relay.url, '--key', KEY]);
    expect(right.code).toBe(5);
  });

  it('takes the key from RELAY_API_KEY, or from an older name with a warning that names the new one', async () => {
    try {
      vi.stubEnv('RELAY_API_KEY', KEY);
      const named = await cli(['status', 'x', '--relay', relay.url]);
      expect(named.code).toBe(5);
      expect(named.err).not.toContain('deprecated');
      vi.stubEnv('RELAY_API_KEY', '');
      vi.stubEnv('CALLBACK_RELAY_KEY', KEY);
      const old = await cli(['status', 'x', '--relay', relay.url]);
      expect(old.code).toBe(5);
      expect(old.err).toContain('CALLBACK_RELAY_KEY is deprecated and will stop working in a later release; set RELAY_API_KEY instead');
      expect(old.err).not.toContain(KEY);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
