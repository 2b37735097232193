import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

describe('callback-relay demo', () => {
  afterEach(() => vi.restoreAllMocks());

  it('explains itself with --help and refuses a bad port with exit code 2', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await main(['demo', '--help'])).toBe(0);
    expect(log.mock.calls.flat().join('\n')).toContain('Usage: callback-relay demo');
    expect(await main(['demo', '--port', 'nine'])).toBe(2);
    expect(error.mock.calls.flat().join('\n')).toContain('--port must be a port number');
  });

  it('plays the whole story and stops with --exit', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
    expect(await main(['demo', '--port', '0', '--exit'])).toBe(0);
    const output = lines.join('\n');
    expect(output).toMatch(/relay {2}→ test {4}verdict/);
    expect(output).toContain('timeout notice');
    expect(output).toContain('(x-relay-late: true)');
    expect(output).toMatch(/flaky attempt 3 → 200/);
    expect(output).toMatch(/-timeout\s+timed_out/);
    // A media check made through the relay, registered by the relay itself, delivered.
    expect(output).toMatch(/x-relay-trace-registered: true/);
    expect(output).toMatch(/delivered\s+media check through the relay/);
  }, 90_000);
});
