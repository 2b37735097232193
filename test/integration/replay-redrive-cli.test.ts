import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { BusinessServer } from '../helpers/business-server.ts';
import { CliProcess } from '../helpers/cli-process.ts';
import { getTrace, push, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
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

describe('callback-relay replay and redrive', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  // Paths under /gone answer 410 (the trace fails at once) until healed.
  let healed = false;
  beforeAll(async () => {
    relay = await startRelay();
    business = await BusinessServer.start((request) => (request.path.startsWith('/gone') && !healed ? 410 : 200));
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
  });

  const traceWhen = (traceId: string, check: (trace: any) => boolean) =>
    waitFor(async () => {
      const trace = (await getTrace(relay, traceId)).body;
      return check(trace) ? trace : undefined;
    }, { what: `trace ${traceId}` });
  const requestsTo = (path: string) => business.requests.filter((item) => item.path === path);

  it('replays a delivered trace and prints what was queued, as text or JSON', async () => {
    await register(relay, { trace_id: 'cr-1', server_uri: `${business.url}/cr-1` });
    await push(relay, mediaCheckJson('cr-1'));
    await traceWhen('cr-1', (trace) => trace.status === 'delivered');

    const text = await cli(['replay', 'cr-1', '--relay', relay.url]);
    expect(text).toMatchObject({ code: 0, err: '' });
    expect(text.out).toMatch(/^queued: verdict of cr-1 \(app default\) as delivery [0-9a-f-]{36}$/);
    // A second replay while the first is being delivered is refused (DELIVERY_IN_PROGRESS): wait it out.
    await waitFor(() => requestsTo('/cr-1').length === 2, { what: 'the first replay delivered' });
    await traceWhen('cr-1', (trace) => trace.deliveries.every((delivery: any) => delivery.status === 'delivered'));
    const json = await cli(['replay', 'cr-1', '--relay', relay.url, '--json', '--app-id', 'default']);
    expect(json.code).toBe(0);
    const queued = JSON.parse(json.out);
    expect(queued).toMatchObject({ kind: 'callback', trace_id: 'cr-1', app_id: 'default' });
    await waitFor(() => requestsTo('/cr-1').length === 3, { what: 'two replays delivered' });
    expect(requestsTo('/cr-1')[2]?.headers['x-relay-delivery-id']).toBe(queued.delivery_id);
  });

  it('names replay failures: unknown trace exit 5, still pending exit 1, one line each', async () => {
    const unknown = await cli(['replay', 'no-such-trace', '--relay', relay.url]);
    expect(unknown.code).toBe(5);
    expect(unknown.err).toMatch(/^callback-relay replay: NOT_FOUND \(404\): [^\n]+$/);
    expect(unknown.out).toBe('');
    await register(relay, { trace_id: 'cr-pending', server_uri: `${business.url}/cr-pending` });
    const pending = await cli(['replay', 'cr-pending', '--relay', relay.url]);
    expect(pending.code).toBe(1);
    expect(pending.err).toMatch(/^callback-relay replay: NOTHING_TO_REPLAY \(409\): [^\n]+$/);
  });

  it('redrive counts first; --dry-run changes nothing; then redrives and reports', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const prefix = `${business.url}/gone-cli/`;
    for (const id of ['cr-f1', 'cr-f2']) {
      await register(relay, { trace_id: id, server_uri: `${prefix}${id}` });
      await push(relay, mediaCheckJson(id));
    }
    for (const id of ['cr-f1', 'cr-f2']) await traceWhen(id, (trace) => trace.status === 'failed');
    const requestsBefore = business.requests.length;

    const dry = await cli(['redrive', '--status', 'failed', '--since', since, '--destination-prefix', prefix, '--dry-run', '--relay', relay.url]);
    expect(dry).toMatchObject({ code: 0, err: '', out: 'dry run: 2 failed trace(s) match; nothing queued' });
    const dryJson = await cli(['redrive', '--status', 'failed', '--destination-prefix', prefix, '--dry-run', '--json', '--relay', relay.url]);
    expect(JSON.parse(dryJson.out)).toEqual({ matched: 2, redriven: 0, dry_run: true });
    for (const id of ['cr-f1', 'cr-f2']) {
      const trace = (await getTrace(relay, id)).body;
      expect(trace.status).toBe('failed');
      expect(trace.deliveries).toHaveLength(1);
    }
    expect(business.requests.length).toBe(requestsBefore);

    healed = true;
    const run = await cli(['redrive', '--status', 'failed', '--since', String(Date.parse(since)), '--destination-prefix', prefix, '--relay', relay.url]);
    expect(run.code).toBe(0);
    expect(run.out).toBe('2 failed trace(s) match\nredriven: 2 of 2 matching trace(s) queued for delivery');
    for (const id of ['cr-f1', 'cr-f2']) await traceWhen(id, (trace) => trace.status === 'delivered' && trace.deliveries[1]?.source === 'redrive');

    const again = await cli(['redrive', '--status', 'failed', '--destination-prefix', prefix, '--relay', relay.url, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toEqual({ matched: 0, redriven: 0, dry_run: true });
    expect((await cli(['redrive', '--status', 'failed', '--destination-prefix', prefix, '--relay', relay.url])).out).toBe('no failed trace matches; nothing to redrive');
  });

  it('redrive --json prints the relay\'s answer for the redrive', async () => {
    healed = false;
    const prefix = `${business.url}/gone-json/`;
    await register(relay, { trace_id: 'cr-j1', server_uri: `${prefix}cr-j1` });
    await push(relay, mediaCheckJson('cr-j1'));
    await traceWhen('cr-j1', (trace) => trace.status === 'failed');
    healed = true;
    const run = await cli(['redrive', '--status', 'failed', '--destination-prefix', prefix, '--relay', relay.url, '--json']);
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(run.out)).toEqual({ matched: 1, redriven: 1, dry_run: false });
    await traceWhen('cr-j1', (trace) => trace.status === 'delivered');
  });

  it('refuses bad usage before any request, exit 2 with one line', async () => {
    // Pointed at a closed port: a request would give exit 3, so exit 2 shows nothing was sent.
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const cases = [
      ['replay'], ['replay', 'a', 'b'], ['replay', 'a', '--bogus'],
      ['redrive'], ['redrive', '--status', 'delivered'], ['redrive', '--status', 'failed', '--since', 'yesterday'],
      ['redrive', '--status', 'failed', '--since', '2026-02-01T00:00:00Z', '--until', '2026-01-01T00:00:00Z'],
      ['redrive', '--status', 'failed', 'extra'], ['redrive', '--status'], ['redrive', '--status', 'failed', '--relay', 'not a url'],
    ];
    for (const args of cases) {
      const usage = await cli([...args, ...(args.includes('--relay') ? [] : ['--relay', nowhere])]);
      expect(usage.code, args.join(' ')).toBe(2);
      expect(usage.err.split('\n'), args.join(' ')).toHaveLength(1);
      expect(usage.err, args.join(' ')).toMatch(new RegExp(`^callback-relay ${args[0]}: .+ \\(see callback-relay ${args[0]} --help\\)$`));
    }
  });

  it('says an unreachable relay in one line, exit 3, from a real process', async () => {
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    for (const args of [['replay', 'cr-1'], ['redrive', '--status', 'failed', '--dry-run']]) {
      const child = CliProcess.relayCli([...args, '--relay', nowhere]);
      expect(await child.exited).toBe(3);
      expect(child.lines.filter(Boolean)).toEqual([`callback-relay ${args[0]}: cannot reach the relay at ${nowhere}: ECONNREFUSED`]);
    }
  });

  it('has --help for each command, listed in the main usage', async () => {
    for (const command of ['replay', 'redrive']) {
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toContain(`Usage: callback-relay ${command}`);
      expect(help.out).toContain('Exit codes');
      expect((await cli(['--help'])).out).toMatch(new RegExp(`^ {2}${command} `, 'm'));
    }
  });
});

describe('callback-relay replay and redrive against a relay with API keys', () => {
  let relay: TestRelay;
  const KEY = 'cli-ops-key-456';
  beforeAll(async () => {
    relay = await startRelay({ RELAY_API_KEYS: KEY });
  });
  afterAll(async () => relay.close());

  it('says the key is wrong or missing in one line, exit 4, never printing it', async () => {
    for (const args of [['replay', 'x'], ['redrive', '--status', 'failed'], ['redrive', '--status', 'failed', '--dry-run', '--json']]) {
      const wrong = await cli([...args, '--relay', relay.url, '--key', 'not-the-key-777']);
      expect(wrong.code, args.join(' ')).toBe(4);
      expect(wrong.err).toMatch(new RegExp(`^callback-relay ${args[0]}: UNAUTHORIZED \\(401\\): [^\\n]+$`));
      expect(wrong.err + wrong.out).not.toContain('not-the-key-777');
      expect((await cli([...args, '--relay', relay.url])).code).toBe(4);
    }
    expect((await cli(['replay', 'x', '--relay', relay.url, '--key', KEY])).code).toBe(5);
    const right = await cli(['redrive', '--status', 'failed', '--relay', relay.url, '--key', KEY, '--json']);
    expect(right.code).toBe(0);
    expect(JSON.parse(right.out)).toEqual({ matched: 0, redriven: 0, dry_run: true });
    expect(right.out + right.err).not.toContain(KEY);
    // Refused requests left no trace in the audit log; the one allowed dry run did.
    const audit = await send('GET', `${relay.url}/api/admin/audit`, undefined, { authorization: `Bearer ${KEY}` });
    expect(audit.body.entries.map((entry: any) => entry.action)).toEqual(['redrive_dry_run']);
  });
});
