// `npm run test:install`: the two production installs, each in a clean folder, driven
// as an operator would: (1) the published package (npm pack) installed as a
// dependency with --omit=dev, its CLI started; (2) the committed files the container
// recipe copies (deploy/Dockerfile), `npm ci --omit=dev && npm start`: CI cannot run
// containers here, so the recipe's install and start steps are played this way. Each must answer /readyz, serve the
// dashboard and the API docs, and store a push. Node.js 24 comes from the PATH, as on a
// server (here: the one running this script). Needs the npm registry.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const work = mkdtempSync(join(tmpdir(), 'relay-install-'));
// npm and the relay run on this Node.js, first on the PATH: a server's own Node.js 24.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, CI: 'true' };
const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function expectServing(name: string, child: ChildProcess, port: number): Promise<void> {
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name}: the relay exited with ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name}: /readyz did not answer 200 within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  for (const path of ['/dashboard', '/dashboard/app.js', '/openapi.json']) {
    const response = await fetch(`${base}${path}`);
    if (response.status !== 200) throw new Error(`${name}: GET ${path} answered ${response.status}`);
  }
  const pushed = await fetch(`${base}/api/wechat`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ MsgType: 'event', Event: 'wxa_media_check', trace_id: `install-${name}`, result: { suggest: 'pass', label: 100 } }),
  });
  const answer = await pushed.text();
  if (pushed.status !== 200 || answer !== 'success') throw new Error(`${name}: a push answered ${pushed.status} ${answer}`);
  console.log(`${name}: /readyz, the dashboard, the API docs and a stored push: ok`);
}

async function startAndCheck(name: string, command: string, args: string[], cwd: string): Promise<void> {
  const port = await freePort();
  const child = spawn(command, args, {
    cwd, env: { ...env, HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: `sqlite:${join(cwd, 'relay.db')}`, RELAY_ACCEPT_UNSIGNED_PUSHES: 'true', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
    // Its own process group, so that npm and the relay it starts stop together.
    detached: true,
  });
  try {
    await expectServing(name, child, port);
  } finally {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  }
}

try {
  // 1. The package as a dependency: JavaScript built by prepack, no dev dependencies.
  const packDir = join(work, 'pack');
  run('mkdir', ['-p', packDir], root);
  run('npm', ['pack', '--silent', '--pack-destination', packDir], root);
  const tarball = join(packDir, readdirSync(packDir).find((file) => file.endsWith('.tgz')) ?? '');
  const app = join(work, 'app');
  run('mkdir', ['-p', app], root);
  run('npm', ['init', '-y'], app);
  run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', tarball], app);
  await startAndCheck('the package installed as a dependency', join(app, 'node_modules/.bin/callback-relay'), ['start'], app);

  // 2. A checkout, as the container recipe (deploy/Dockerfile) copies it: the lockfile,
  // bin/ and src/ of the committed tree, then npm ci --omit=dev && npm start.
  const checkout = join(work, 'checkout');
  run('mkdir', ['-p', checkout], root);
  execFileSync('bash', ['-c', `git archive HEAD package.json package-lock.json bin src | tar -x -C ${JSON.stringify(checkout)}`], { cwd: root, env, stdio: 'inherit' });
  run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], checkout);
  await startAndCheck('a checkout with npm ci --omit=dev, as the container recipe copies it', 'npm', ['start'], checkout);
} finally {
  rmSync(work, { recursive: true, force: true });
}
