import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';

const read = (file: string): string => readFileSync(new URL(`../../deploy/${file}`, import.meta.url), 'utf8');

/** The deploy kit stays in step with the relay: its settings load, its paths and probes are the relay's own. */
describe('the deploy kit', () => {
  it('ships an environment file that is a valid configuration as it stands', () => {
    const env = Object.fromEntries(read('callback-relay.env').split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    const config = loadConfig({ ...env, DATABASE_URL: 'sqlite:/var/lib/callback-relay/relay.db' });
    expect(config.apiKeys.length).toBeGreaterThan(0);
    expect(config.trustedProxies).toEqual(['127.0.0.1', '::1']);
    expect(config.publicEndpoints).toEqual([]);
  });

  it('runs the container as an unprivileged user on Node.js 24, with its data on a volume and a health check on /readyz', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:24/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/readyz/m);
    expect(dockerfile).toContain('npm ci --omit=dev');
  });

  it('exposes only the intake paths on the public server, and carries the tunnel\'s WebSocket upgrade', () => {
    const site = read('nginx-callback-relay.conf');
    const publicServer = site.slice(site.indexOf('server {'), site.indexOf('server {', site.indexOf('server {') + 1));
    const proxied = [...publicServer.matchAll(/location ([^{]+)\{ include/g)].map((match) => match[1]!.trim());
    expect(proxied).toEqual(['= /api/wechat', '^~ /api/wechat/', '^~ /api/hooks/']);
    expect(publicServer).toContain('location / { return 404; }');
    expect(read('nginx-proxy-snippet.conf')).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(read('nginx-proxy-snippet.conf')).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
  });

  it('starts the service unit on the relay\'s own entry point, with secrets in a file of their own', () => {
    const unit = read('callback-relay.service');
    expect(unit).toContain('ExecStart=/usr/bin/node bin/callback-relay.js start');
    expect(unit).toContain('EnvironmentFile=/etc/callback-relay.env');
    expect(unit).toContain('KillSignal=SIGTERM');
  });
});
