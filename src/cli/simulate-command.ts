import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { WechatApp } from '../config/config-schema.ts';
import { ConfigError } from '../config/env-variables.ts';
import { loadConfig } from '../config/load-config.ts';
import { formatEvent, genericEvent, mediaCheckEvent } from '../simulator/sample-events.ts';
import { buildSimulatedPush, sendSimulatedPush, type PushMode } from '../simulator/simulated-push.ts';
import { sampleSourceBody, signSourcePush } from '../simulator/simulated-source-push.ts';
import { request } from 'undici';
import { randomUUID } from 'node:crypto';

const USAGE = `Usage: callback-relay simulate [options]

Signs (and in compatible/safe mode encrypts) a push the way WeChat does and POSTs it
to a relay. The app's token, EncodingAESKey, mode and format come from the relay's own
configuration (WECHAT_*, RELAY_CONFIG) unless given here.

  --url <base>          relay base URL (default http://127.0.0.1:9000)
  --appid <appid>       app to push for; sent to /api/wechat/<appid> (default: the WECHAT_* app, to /api/wechat)
  --mode <m>            plain | compatible | safe (default: the app's mode, else safe when it has a key)
  --format <f>          json | xml (default: the app's format, else json)
  --trace-id <id>       trace_id of the wxa_media_check (default: a random UUID)
  --suggest <s>         pass | risky | review (default pass)
  --event <name>        push this Event instead of wxa_media_check (MsgType event)
  --body-file <path>    push this plain-mode message as is (JSON or XML)
  --token <t>, --aes-key <k>   override the configured token and EncodingAESKey
  --source <name>       push for a source of RELAY_CONFIG instead (to /api/hooks/<name>), signed as
                        its kind signs; the body carries --trace-id at its idPath, or is --body-file
  --dry-run             print the request instead of sending it`;

const OPTIONS = {
  url: { type: 'string', default: 'http://127.0.0.1:9000' },
  appid: { type: 'string' },
  mode: { type: 'string' },
  format: { type: 'string' },
  'trace-id': { type: 'string' },
  suggest: { type: 'string', default: 'pass' },
  event: { type: 'string' },
  'body-file': { type: 'string' },
  token: { type: 'string' },
  'aes-key': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  source: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

/** The configured app, when the relay's configuration names it; the simulator also works without one. */
function configuredApp(appId: string | undefined): WechatApp | undefined {
  const config = loadConfig(process.env);
  return config.apps.find((app) => app.appId === (appId ?? config.defaultAppId));
}

/** `callback-relay simulate`: one push, as WeChat would send it, to a running relay. */
export async function runSimulateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.source !== undefined) return simulateSourcePush(values.source, values);
  const app = configuredApp(values.appid);
  const appId = values.appid ?? app?.appId ?? 'default';
  const token = values.token ?? app?.token;
  const encodingAesKey = values['aes-key'] ?? app?.encodingAesKey;
  const mode = oneOf('mode', values.mode, ['plain', 'compatible', 'safe'] as const) ?? app?.mode ?? (encodingAesKey ? 'safe' : 'plain');
  const format = oneOf('format', values.format, ['json', 'xml'] as const) ?? app?.format ?? 'json';
  const suggest = oneOf('suggest', values.suggest, ['pass', 'risky', 'review'] as const);
  const message = values['body-file'] ? readFileSync(values['body-file'], 'utf8')
    : formatEvent(format, values.event ? genericEvent(values.event) : mediaCheckEvent({ appId, traceId: values['trace-id'], suggest }));
  const push = buildSimulatedPush({ appId, token, encodingAesKey, mode: mode as PushMode, message });
  const pushUrl = `${values.url.replace(/\/+$/, '')}/api/wechat${values.appid ? `/${encodeURIComponent(values.appid)}` : ''}`;
  const target = `${pushUrl}?${new URLSearchParams(push.query).toString()}`;
  if (values['dry-run']) {
    console.log(`POST ${target}\ncontent-type: ${push.contentType}\n\n${push.body}`);
    return 0;
  }
  const answer = await sendSimulatedPush(pushUrl, push);
  console.log(`${mode} ${push.format} push for ${appId} → ${answer.status} ${answer.text}`);
  const isAccepted = answer.status === 200 && answer.text === 'success';
  if (isAccepted) console.log(`plain-mode message (what the registered server receives):\n${message}`);
  return isAccepted ? 0 : 1;
}

/** `simulate --source <name>`: a push of another provider, signed as its kind is. */
async function simulateSourcePush(name: string, values: { url: string; 'trace-id'?: string; 'body-file'?: string; 'dry-run': boolean }): Promise<number> {
  const source = loadConfig(process.env).sources.find((item) => item.name === name);
  if (!source) throw new ConfigError(`--source ${name}: no source of that name in RELAY_CONFIG`);
  const traceId = values['trace-id'] ?? randomUUID();
  const body = values['body-file'] ? readFileSync(values['body-file'], 'utf8') : sampleSourceBody(source, traceId);
  const push = signSourcePush(source, body);
  const query = new URLSearchParams(push.query).toString();
  const target = `${values.url.replace(/\/+$/, '')}/api/hooks/${encodeURIComponent(name)}${query ? `?${query}` : ''}`;
  if (values['dry-run']) {
    console.log(`POST ${target}\n${Object.entries(push.headers).map(([key, value]) => `${key}: ${value}`).join('\n')}\n\n${push.body}`);
    return 0;
  }
  const answer = await request(target, { method: 'POST', headers: push.headers, body: push.body });
  const text = await answer.body.text();
  console.log(`${source.kind} push for source ${name} → ${answer.statusCode}${text ? ` ${text}` : ''}`);
  return answer.statusCode >= 200 && answer.statusCode < 300 ? 0 : 1;
}
