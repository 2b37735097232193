import { describe, expect, it } from 'vitest';
import { formatEvent, parseListenArgs } from '../../src/cli/listen-command.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { SchemeSender, type Sender } from '../../src/delivery/sender.ts';
import { isRelayError } from '../../src/errors/relay-error.ts';
import { parseRegistration } from '../../src/registration/registration-input.ts';
import { joinForwardUrl } from '../../src/tunnel/local-forwarder.ts';
import { truncateUtf8 } from '../../src/tunnel/listener-connection.ts';
import { parseRelayFrame, parseResultFrame } from '../../src/tunnel/tunnel-protocol.ts';
import { parseTunnelUri } from '../../src/destination/tunnel-uri.ts';

const codeOf = (serverUri: string, allowed: string[] = []) => {
  try {
    return parseRegistration({ trace_id: 't', server_uri: serverUri }, allowed).serverUri;
  } catch (error) {
    return isRelayError(error) ? error.code : 'unexpected';
  }
};

describe('tunnel server_uri', () => {
  it('accepts tunnel://<name>[/path] and stores it canonical', () => {
    expect(codeOf('tunnel://alice')).toBe('tunnel://alice');
    expect(codeOf('tunnel://alice/wx/check')).toBe('tunnel://alice/wx/check');
    expect(codeOf('TUNNEL://alice?x=1')).toBe('tunnel://alice/?x=1');
    expect(codeOf(`tunnel://${'a'.repeat(63)}`)).toBe(`tunnel://${'a'.repeat(63)}`);
    expect(codeOf('tunnel://dev-7/a')).toBe('tunnel://dev-7/a');
  });

  it('refuses bad names and shapes with INVALID_SERVER_URI', () => {
    for (const bad of ['tunnel://', 'tunnel://Alice', 'tunnel://al_ice', 'tunnel://al.ice', `tunnel://${'a'.repeat(64)}`, 'tunnel:alice', 'tunnel://alice/a b', 'tunnel://alice#x', 'tunnel://user@alice']) {
      expect(codeOf(bad), bad).toBe('INVALID_SERVER_URI');
    }
  });

  it('keeps the allowlist: a tunnel must be allowed like any destination', () => {
    expect(codeOf('tunnel://alice', ['https://prod.example/'])).toBe('DESTINATION_NOT_ALLOWED');
    expect(codeOf('tunnel://alice/x', ['https://prod.example/', 'tunnel://'])).toBe('tunnel://alice/x');
    expect(codeOf('tunnel://bob', ['tunnel://alice'])).toBe('DESTINATION_NOT_ALLOWED');
  });

  it('keeps the http(s) rules for everything else', () => {
    expect(codeOf('ftp://a.example/x')).toBe('INVALID_SERVER_URI');
    expect(codeOf('tunnels://alice')).toBe('INVALID_SERVER_URI');
    expect(codeOf('https://a.example/x')).toBe('https://a.example/x');
  });

  it('parses name and path', () => {
    expect(parseTunnelUri('tunnel://alice/wx?a=1')).toEqual({ name: 'alice', path: '/wx?a=1' });
    expect(parseTunnelUri('https://alice')).toBeUndefined();
  });
});

describe('listener side', () => {
  it('joins --forward-to with the tunnel path', () => {
    expect(joinForwardUrl('http://localhost:8080/wx', '')).toBe('http://localhost:8080/wx');
    expect(joinForwardUrl('http://localhost:8080/wx/', '/media')).toBe('http://localhost:8080/wx/media');
    expect(joinForwardUrl('http://localhost:8080/wx?k=1', '/m?x=2')).toBe('http://localhost:8080/wx/m?k=1&x=2');
  });

  it('reads its arguments and names what is wrong', () => {
    expect(parseListenArgs(['--name', 'alice', '--forward-to', 'http://localhost:8080/wx'], {})).toEqual({
      relay: 'http://127.0.0.1:9000', name: 'alice', forwardTo: 'http://localhost:8080/wx', key: undefined, shouldPrint: false,
    });
    expect(parseListenArgs(['--name', 'a', '--forward-to', 'http://l/', '--print'], { RELAY_API_KEY: 'k', RELAY_URL: 'https://relay.example' })).toMatchObject({ key: 'k', relay: 'https://relay.example', shouldPrint: true });
    // The key's older names still work, each with a warning that names the one to use.
    for (const name of ['CALLBACK_RELAY_KEY', 'RELAY_KEY']) {
      const warnings: string[] = [];
      expect(parseListenArgs(['--name', 'a', '--forward-to', 'http://l/'], { [name]: 'old' }, (line) => warnings.push(line))).toMatchObject({ key: 'old' });
      expect(warnings).toEqual([expect.stringMatching(new RegExp(`${name} is deprecated.*set RELAY_API_KEY`))]);
    }
    const quiet: string[] = [];
    expect(parseListenArgs(['--name', 'a', '--forward-to', 'http://l/'], { RELAY_API_KEY: 'new', CALLBACK_RELAY_KEY: 'old' }, (line) => quiet.push(line))).toMatchObject({ key: 'new' });
    expect(quiet).toEqual([]);
    expect(() => parseListenArgs(['--name', 'Alice', '--forward-to', 'http://l/'], {})).toThrow(/--name/);
    expect(() => parseListenArgs(['--name', 'a', '--forward-to', 'ftp://l/'], {})).toThrow(/--forward-to/);
    expect(() => parseListenArgs(['--name', 'a'], {})).toThrow(/--forward-to/);
    expect(() => parseListenArgs(['--name', 'a', '--forward-to', 'http://l/', '--bogus'], {})).toThrow(/bogus/);
  });

  it('prints one line per delivery with time, trace id, status and duration', () => {
    const frame = { type: 'delivery' as const, id: 'i', traceId: 'tr-1', attempt: 2, path: '', headers: { 'x-relay-event': 'callback.received' }, bodyBase64: '', timeoutMs: 1000 };
    const line = formatEvent({ kind: 'delivery', frame, result: { type: 'result', id: 'i', status: 204, durationMs: 12, excerpt: null, failure: null }, body: Buffer.from('{"a":1}') }, false, new Date(0));
    expect(line).toBe('1970-01-01T00:00:00.000Z  tr-1  attempt 2  callback.received  → 204  12 ms');
    const printed = formatEvent({ kind: 'delivery', frame, result: { type: 'result', id: 'i', status: 204, durationMs: 12, excerpt: null, failure: null }, body: Buffer.from('{"a":1}') }, true, new Date(0));
    expect(printed).toContain('{"a":1}');
  });
});

describe('tunnel frames', () => {
  const good = { type: 'result', id: 'abc', status: 200, durationMs: 3, excerpt: 'ok', failure: null };

  it('accepts a well-formed result', () => {
    expect(parseResultFrame(JSON.stringify(good))).toEqual(good);
    expect(parseResultFrame(JSON.stringify({ ...good, status: null, failure: { kind: 'timeout', message: 'slow' } }))).toBeDefined();
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'not json', '[]', 'null', JSON.stringify({ ...good, type: 'delivery' }), JSON.stringify({ ...good, status: 99 }),
      JSON.stringify({ ...good, status: '200' }), JSON.stringify({ ...good, excerpt: 'x'.repeat(5000) }), JSON.stringify({ ...good, extra: 1 }),
      JSON.stringify({ ...good, id: '' }), JSON.stringify({ ...good, failure: { kind: 'other', message: '' } })]) {
      expect(parseResultFrame(bad), bad.slice(0, 40)).toBeUndefined();
    }
    expect(parseRelayFrame('{"type":"delivery"}')).toBeUndefined();
  });

  it('truncates excerpts on a character boundary', () => {
    expect(truncateUtf8('审核通过', 7)).toBe('审核');
    expect(truncateUtf8('abc', 10)).toBe('abc');
  });
});

describe('tunnel configuration', () => {
  it('reads RELAY_TUNNEL_KEYS as name:key pairs and names the variable when one is wrong', () => {
    expect(loadConfig({ RELAY_TUNNEL_KEYS: 'alice:alice-key-123, bob:bob-key-4567' }).tunnelKeys).toEqual([
      { name: 'alice', key: 'alice-key-123' }, { name: 'bob', key: 'bob-key-4567' },
    ]);
    expect(() => loadConfig({ RELAY_TUNNEL_KEYS: 'alice-key-123' })).toThrow(/RELAY_TUNNEL_KEYS/);
    expect(() => loadConfig({ RELAY_TUNNEL_KEYS: 'alice:short' })).toThrow(/RELAY_TUNNEL_KEYS/);
    expect(() => loadConfig({ RELAY_TUNNEL_KEYS: 'Alice:alice-key-123' })).toThrow(/RELAY_TUNNEL_KEYS/);
    expect(() => loadConfig({ RELAY_TUNNEL_MAX_WAIT_S: '0' })).toThrow(/RELAY_TUNNEL_MAX_WAIT_S/);
    expect(loadConfig({}).tunnelMaxWaitS).toBe(86_400);
  });
});

describe('scheme sender', () => {
  it('picks the transport by the destination scheme, http(s) by default', async () => {
    const used: string[] = [];
    const fake = (name: string): Sender => ({
      send: async () => {
        used.push(name);
        return { outcome: 'success', httpStatus: 200, durationMs: 0, retryAfterMs: null, errorMessage: null, responseExcerpt: null };
      },
      close: async () => undefined,
    });
    const sender = new SchemeSender(fake('http'), { tunnel: fake('tunnel') });
    for (const url of ['https://a.example/x', 'tunnel://alice', 'TUNNEL://bob/x', 'http://b.example']) {
      await sender.send({ url, headers: {}, body: Buffer.alloc(0) }, () => 0);
    }
    expect(used).toEqual(['http', 'tunnel', 'tunnel', 'http']);
  });
});
