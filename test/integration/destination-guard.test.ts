import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer } from '../helpers/business-server.ts';
import { getTrace, push, register, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';
import { HttpSender } from '../../src/delivery/http-sender.ts';
import type { LookupFunction } from '../../src/destination/guarded-lookup.ts';

/** A TCP listener that only counts connections: proof that nothing connected at all. */
async function startCountingListener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A resolver with fixed answers, standing in for DNS (a name may point anywhere, including at metadata). */
function fixedLookup(table: Record<string, LookupAddress[]>): LookupFunction {
  return (hostname, options, callback) => {
    const answer = table[hostname];
    if (!answer) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    return options.all ? callback(null, answer) : callback(null, answer[0]!.address, answer[0]!.family);
  };
}

const traceWhen = (relay: TestRelay, traceId: string, check: (trace: any) => boolean) =>
  waitFor(async () => {
    const trace = (await getTrace(relay, traceId)).body;
    return trace && check(trace) ? trace : undefined;
  }, { what: `trace ${traceId}` });

describe('where the relay may send (default settings)', () => {
  let relay: TestRelay;
  let business: BusinessServer;
  let bystander: BusinessServer;
  const lookup = fixedLookup({
    'metadata.test': [{ address: '169.254.169.254', family: 4 }],
    'mapped-metadata.test': [{ address: '::ffff:169.254.169.254', family: 6 }],
  });
  beforeAll(async () => {
    relay = await startRelay({}, { lookup });
    bystander = await BusinessServer.start();
    business = await BusinessServer.start((request, _index, response) => {
      if (!request.path.startsWith('/redirect')) return 200;
      response.writeHead(302, { location: `${bystander.url}/stolen` }).end();
      return 'handled';
    });
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
    await bystander.stop();
  });

  it('refuses metadata addresses in every spelling at registration, storing nothing', async () => {
    for (const uri of ['http://169.254.169.254/latest/meta-data/', 'http://169.254.170.2/v2/credentials', 'http://[fd00:ec2::254]/',
      'http://[::ffff:169.254.169.254]/', 'http://[::ffff:a9fe:a9fe]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[2002:a9fe:a9fe::1]/', 'http://100.100.100.200/latest/meta-data']) {
      const answer = await register(relay, { trace_id: 'meta-1', server_uri: uri });
      expect(answer.status, uri).toBe(400);
      expect(answer.body.error.code).toBe('DESTINATION_BLOCKED');
    }
    expect((await getTrace(relay, 'meta-1')).status).toBe(404);
  });

  it('refuses file:, gopher: and other schemes at registration', async () => {
    for (const uri of ['file:///etc/passwd', 'gopher://127.0.0.1:70/_x', 'ftp://example.com/', 'dict://127.0.0.1:11211/']) {
      const answer = await register(relay, { trace_id: 'scheme-1', server_uri: uri });
      expect(answer.status, uri).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_SERVER_URI');
    }
    expect((await getTrace(relay, 'scheme-1')).status).toBe(404);
  });

  it('refuses at send time a hostname that resolves to a metadata address, recording a refused attempt', async () => {
    for (const [id, host] of [['dns-meta-1', 'metadata.test'], ['dns-meta-2', 'mapped-metadata.test']] as const) {
      expect((await register(relay, { trace_id: id, server_uri: `http://${host}/latest/meta-data` })).status).toBe(201);
      await push(relay, mediaCheckJson(id));
      const trace = await traceWhen(relay, id, (item) => item.status === 'failed');
      expect(trace.error).toBe('CALLBACK_ERROR');
      expect(trace.attempts).toHaveLength(1);
      expect(trace.attempts[0]).toMatchObject({ outcome: 'refused', http_status: null });
      expect(trace.attempts[0].error).toContain('169.254.169.254');
      expect(trace.attempts[0].error).toContain('metadata');
    }
  });

  it('never follows a redirect: the 3xx is a failed attempt and its target is never asked', async () => {
    await register(relay, { trace_id: 'redir-1', server_uri: `${business.url}/redirect` });
    await push(relay, mediaCheckJson('redir-1'));
    const trace = await traceWhen(relay, 'redir-1', (item) => item.status === 'failed');
    expect(trace.error).toBe('BIZ_SERVER_ERROR');
    expect(trace.attempts.every((attempt: any) => attempt.http_status === 302 && attempt.outcome === 'http_error')).toBe(true);
    expect(bystander.requests).toHaveLength(0);
  });
});

describe('where the relay may send (RELAY_BLOCK_PRIVATE_DESTINATIONS=true)', () => {
  let relay: TestRelay;
  let listener: Awaited<ReturnType<typeof startCountingListener>>;
  beforeAll(async () => {
    listener = await startCountingListener();
    relay = await startRelay({ RELAY_BLOCK_PRIVATE_DESTINATIONS: 'true' }, {
      lookup: fixedLookup({
        'internal.test': [{ address: '127.0.0.1', family: 4 }],
        'private.test': [{ address: '10.20.30.40', family: 4 }, { address: 'fd12::1', family: 6 }],
      }),
    });
  });
  afterAll(async () => {
    await relay.close();
    await listener.close();
  });

  it('refuses loopback, private, link-local and ULA literals, localhost and URL credentials at registration', async () => {
    const port = listener.port;
    for (const uri of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://[::1]:${port}/`, 'http://10.0.0.8/', 'http://192.168.1.1/',
      'http://172.16.0.1/', 'http://100.64.0.1/', 'http://[fe80::1]/', 'http://[fd12:3456::1]/', 'http://0.0.0.0/', `http://[::ffff:127.0.0.1]:${port}/`,
      'https://user:secret@example.com/hook']) {
      const answer = await register(relay, { trace_id: 'priv-1', server_uri: uri });
      expect(answer.status, uri).toBe(400);
      expect(answer.body.error.code).toBe('DESTINATION_BLOCKED');
      expect(answer.text).not.toContain('secret');
    }
    expect((await getTrace(relay, 'priv-1')).status).toBe(404);
    expect(listener.connections()).toBe(0);
  });

  it('refuses at send time a hostname resolving to a blocked range, and never connects', async () => {
    for (const id of ['dns-priv-1', 'dns-priv-2']) {
      const host = id === 'dns-priv-1' ? 'internal.test' : 'private.test';
      expect((await register(relay, { trace_id: id, server_uri: `http://${host}:${listener.port}/hook` })).status).toBe(201);
      await push(relay, mediaCheckJson(id));
      const trace = await traceWhen(relay, id, (item) => item.status === 'failed');
      expect(trace).toMatchObject({ error: 'CALLBACK_ERROR' });
      expect(trace.attempts).toEqual([expect.objectContaining({ outcome: 'refused', http_status: null })]);
      expect(trace.attempts[0].error).toMatch(/loopback|private/);
    }
    expect(listener.connections()).toBe(0);
  });
});

describe('the sender checks the rules again before every send', () => {
  it('refuses a destination the allowlist no longer covers, and a literal metadata address, without connecting', async () => {
    const listener = await startCountingListener();
    const sender = new HttpSender({ attemptTimeoutMs: 2000, destinationRules: { allowedPrefixes: ['https://hooks.example.com/'], blockPrivate: false } });
    const open = new HttpSender({ attemptTimeoutMs: 2000 });
    try {
      const forward = (url: string) => ({ url, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') });
      const outside = await sender.send(forward(`http://127.0.0.1:${listener.port}/x`), Date.now);
      expect(outside).toMatchObject({ outcome: 'refused', httpStatus: null });
      expect(outside.errorMessage).toContain('RELAY_ALLOWED_DESTINATIONS');
      const trick = await sender.send(forward(`https://hooks.example.com@127.0.0.1:${listener.port}/`), Date.now);
      expect(trick.outcome).toBe('refused');
      const strict = new HttpSender({ attemptTimeoutMs: 2000, destinationRules: { allowedPrefixes: [], blockPrivate: true } });
      const withCredentials = await strict.send(forward(`http://user:pw@127.0.0.1:${listener.port}/x`), Date.now);
      await strict.close();
      expect(withCredentials.outcome).toBe('refused');
      expect(withCredentials.errorMessage).toContain('credentials');
      expect(withCredentials.errorMessage).not.toContain('pw');
      const metadata = await open.send(forward('http://169.254.169.254/latest/meta-data/'), Date.now);
      expect(metadata.outcome).toBe('refused');
      expect(metadata.errorMessage).toContain('metadata');
      expect(listener.connections()).toBe(0);
    } finally {
      await sender.close();
      await open.close();
      await listener.close();
    }
  });
});
