import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { COMPAT_XML_APP, SAFE_JSON_APP, writeRelayConfig } from '../helpers/wechat-config.ts';

const problemOf = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe('RELAY_CONFIG with several mini programs (JSON or YAML)', () => {
  it('reads apps, formats, modes, routes and correlation fields from YAML and JSON alike', () => {
    const apps = [SAFE_JSON_APP, { ...COMPAT_XML_APP, routes: [{ name: 'kf', msgType: 'text', destinations: ['https://kf.example.com/wx'] }], correlationFields: { subscribe_msg_sent_event: 'SubscribeMsgSentEvent.List.MsgID' } }];
    for (const extension of ['yaml', 'json']) {
      const config = loadConfig({ RELAY_CONFIG: writeRelayConfig({ apps }, extension) });
      expect(config.apps).toEqual(apps);
      expect(config.defaultAppId).toBe(SAFE_JSON_APP.appId);
    }
  });

  it('lets WECHAT_* override the file\'s entry for the same app without dropping its routes', () => {
    const routes = [{ name: 'all', destinations: ['http://127.0.0.1:1/x'] }];
    const config = loadConfig({ RELAY_CONFIG: writeRelayConfig({ apps: [{ ...SAFE_JSON_APP, routes }] }), WECHAT_APPID: SAFE_JSON_APP.appId, WECHAT_TOKEN: 'new-token', WECHAT_FORMAT: 'XML' });
    expect(config.apps[0]).toMatchObject({ appId: SAFE_JSON_APP.appId, token: 'new-token', format: 'xml', routes });
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a short EncodingAESKey', { apps: [SAFE_JSON_APP, { ...COMPAT_XML_APP, encodingAesKey: 'tooshort' }] }, /apps\[1\]\.encodingAesKey \(app wxcompatxml000002\) must be the console's 43-character EncodingAESKey, got 8/],
    ['an EncodingAESKey with other characters', { apps: [{ ...SAFE_JSON_APP, encodingAesKey: `${'a'.repeat(42)}=` }] }, /apps\[0\]\.encodingAesKey .* letters and digits/],
    ['a key without a token', { apps: [{ appId: 'wx1', encodingAesKey: SAFE_JSON_APP.encodingAesKey }] }, /apps\[0\]\.token \(app wx1\) must be set/],
    ['safe mode without a key', { apps: [{ appId: 'wx1', token: 't', mode: 'safe' }] }, /apps\[0\]\.encodingAesKey \(app wx1\) is required/],
    ['an unknown mode', { apps: [{ ...SAFE_JSON_APP, mode: 'secure' }] }, /config key "apps\[0\]\.mode"/],
    ['an unknown format', { apps: [{ ...SAFE_JSON_APP, format: 'yaml' }] }, /config key "apps\[0\]\.format"/],
    ['a misspelt key', { apps: [{ ...SAFE_JSON_APP, encodingAESKey: 'x' }] }, /apps\[0\]" has unknown key\(s\) "encodingAESKey"/],
    ['a route without destinations', { apps: [{ ...SAFE_JSON_APP, routes: [{ name: 'r', destinations: [] }] }] }, /apps\[0\]\.routes\[0\]\.destinations/],
    ['a route to a non-http destination', { apps: [{ ...SAFE_JSON_APP, routes: [{ name: 'r', destinations: ['ftp://x'] }] }] }, /apps\[0\]\.routes\[0\]\.destinations\[0\]/],
    ['a route without a name', { apps: [{ ...SAFE_JSON_APP, routes: [{ destinations: ['http://x'] }] }] }, /apps\[0\]\.routes\[0\]/],
    ['the same appid twice', { apps: [SAFE_JSON_APP, SAFE_JSON_APP] }, /appId "wxsafejson0000001" twice/],
    ['a bad correlation path', { apps: [{ ...SAFE_JSON_APP, correlationFields: { e: 'a..b' } }] }, /apps\[0\]\.correlationFields/],
  ];
  it.each(bad)('stops at %s with a message naming the key', (_name, file, message) => {
    expect(problemOf({ RELAY_CONFIG: writeRelayConfig(file) })).toMatch(message);
  });

  it('names the file and the YAML problem', () => {
    const path = writeRelayConfig({});
    writeFileSync(path, 'apps:\n  - appId: wx1\n   token: broken');
    expect(problemOf({ RELAY_CONFIG: path })).toMatch(/RELAY_CONFIG: .*relay\.yaml is not valid YAML/);
  });
});

describe('WECHAT_* variables', () => {
  it('stop the start on a bad WECHAT_ENCODING_AES_KEY, naming the variable and never echoing the key', () => {
    const message = problemOf({ WECHAT_APPID: 'wx1', WECHAT_TOKEN: 't', WECHAT_ENCODING_AES_KEY: 'secretbutshort' });
    expect(message).toMatch(/^WECHAT_ENCODING_AES_KEY must be the console's 43-character EncodingAESKey, got 14 characters/);
    expect(message).not.toContain('secretbutshort');
    expect(problemOf({ WECHAT_APPID: 'wx1', WECHAT_ENCODING_AES_KEY: SAFE_JSON_APP.encodingAesKey })).toMatch(/^WECHAT_TOKEN must be set/);
    expect(problemOf({ WECHAT_APPID: 'wx1', WECHAT_TOKEN: 't', WECHAT_MODE: 'safe' })).toMatch(/^WECHAT_ENCODING_AES_KEY is required: WECHAT_MODE is "safe"/);
    expect(problemOf({ WECHAT_APPID: 'wx1', WECHAT_MODE: 'secret' })).toMatch(/^WECHAT_MODE must be one of plain, compatible, safe/);
  });
});
