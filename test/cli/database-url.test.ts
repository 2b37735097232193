import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = resolve(ROOT, 'node_modules/.bin/node');

function start(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const env = { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', RELAY_DB_CONNECT_TIMEOUT_MS: '2000' };
    const child = execFile(NODE, ['bin/callback-relay.js', 'start'], { cwd: ROOT, env, timeout: 20_000 }, (error, stdout, stderr) => {
      done({ code: child.exitCode ?? (error ? 1 : 0), output: `${stdout}${stderr}` });
    });
  });
}

describe('a DATABASE_URL that cannot be parsed or reached stops the start', () => {
  it.each([
    ['unknown scheme', 'oracle://scott:tiger-secret@db/relay', /not supported/],
    ['no host', 'postgres://scott:tiger-secret@/relay', /cannot be parsed|names no host/],
    ['no database', 'mysql://scott:tiger-secret@127.0.0.1:3306', /names no database/],
    ['unreachable PostgreSQL', 'postgres://scott:tiger-secret@127.0.0.1:1/relay', /cannot reach the database at postgres:\/\/scott:\*\*\*@127\.0\.0\.1:1\/relay/],
    ['unreachable MySQL', 'mysql://scott:tiger-secret@127.0.0.1:1/relay', /cannot reach the database at mysql:\/\/scott:\*\*\*@127\.0\.0\.1:1\/relay/],
  ])('%s: a clear message, credentials masked, non-zero exit', async (_name, url, message) => {
    const { code, output } = await start(url);
    expect(code).not.toBe(0);
    expect(output).toMatch(message);
    expect(output).not.toContain('tiger-secret');
  });
});
