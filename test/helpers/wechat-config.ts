import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { WechatApp } from '../../src/config/config-schema.ts';
import { buildSimulatedPush, sendSimulatedPush, type PushMode } from '../../src/simulator/simulated-push.ts';
import type { TestRelay } from './relay-harness.ts';

/** Two apps as the "done" asks: one safe-mode JSON, one compatible-mode XML, with non-zero keys. */
export const SAFE_JSON_APP = {
  appId: 'wxsafejson0000001',
  token: 'safe-json-token',
  encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  format: 'json',
  mode: 'safe',
} as const satisfies WechatApp;

export const COMPAT_XML_APP = {
  appId: 'wxcompatxml000002',
  token: 'compat-xml-token',
  encodingAesKey: 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut',
  format: 'xml',
  mode: 'compatible',
} as const satisfies WechatApp;

/** Writes a RELAY_CONFIG YAML file and returns its path. */
export function writeRelayConfig(config: Record<string, unknown>, extension = 'yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
  const path = join(dir, `relay.${extension}`);
  writeFileSync(path, extension === 'json' ? JSON.stringify(config, null, 2) : stringify(config));
  return path;
}

type PushableApp = { appId: string; token?: string; encodingAesKey?: string };

/** Pushes `message` for `app` in `mode` to the relay's per-app URL, as WeChat would. */
export function pushAs(relay: TestRelay, app: PushableApp, mode: PushMode, message: string, path = `/api/wechat/${app.appId}`) {
  return sendSimulatedPush(`${relay.url}${path}`, buildSimulatedPush({ ...app, mode, message }));
}
