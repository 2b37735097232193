import { parseArgs } from 'node:util';
import { ConfigError } from '../config/env-variables.ts';
import { startFakeWechatApi } from '../simulator/fake-wechat-api.ts';

const USAGE = `Usage: callback-relay fake-wechat-api [options]

A stand-in for WeChat's server API (api.weixin.qq.com) on this machine, for trying the
relay's /wxapi proxy and token keeping without WeChat: stable_token, media_check_async,
msg_sec_check and getwxacodeunlimit, as strict as WeChat. Point the relay at it with
WECHAT_API_BASE, with the same appid and secret:

  callback-relay fake-wechat-api --appid wx0000000000000001 --secret fake-secret
  WECHAT_APPID=wx0000000000000001 WECHAT_APP_SECRET=fake-secret WECHAT_API_BASE=http://127.0.0.1:9100 npm start

  --port <n>        port (default 9100)
  --host <addr>     address (default 127.0.0.1)
  --appid <appid>   the app it knows (default $WECHAT_APPID, else wx0000000000000001)
  --secret <s>      that app's AppSecret (default $WECHAT_APP_SECRET, else fake-secret)

Each media check it accepts is printed with its trace_id, so that a verdict can be pushed
with callback-relay simulate --trace-id <id>.`;

const OPTIONS = {
  port: { type: 'string', default: '9100' },
  host: { type: 'string', default: '127.0.0.1' },
  appid: { type: 'string' },
  secret: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `callback-relay fake-wechat-api`: runs until Ctrl-C, then prints what it was asked. */
export async function runFakeWechatApiCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`--port must be a port number, got "${values.port}"`);
  const appId = values.appid ?? process.env.WECHAT_APPID ?? 'wx0000000000000001';
  const fake = await startFakeWechatApi({ apps: [{ appId, secret: values.secret ?? process.env.WECHAT_APP_SECRET ?? 'fake-secret' }], port, host: values.host });
  console.log(`fake WeChat API for ${appId} at ${fake.url}; Ctrl-C stops`);
  let printed = 0;
  const timer = setInterval(() => {
    for (const check of fake.mediaChecks.slice(printed)) console.log(`media check accepted: trace_id ${check.traceId}`);
    printed = fake.mediaChecks.length;
  }, 200);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  const { stableToken, legacyToken, forcedRefresh, rejectedTokens } = fake.counters;
  console.log(`calls: ${JSON.stringify(Object.fromEntries(fake.counters.calls))}; stable_token ${stableToken} (forced ${forcedRefresh}), legacy token ${legacyToken}, tokens refused ${rejectedTokens}`);
  await fake.close();
  return 0;
}
