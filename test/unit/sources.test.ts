import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Source } from '../../src/config/config-schema.ts';
import { valueAtPath } from '../../src/providers/sources/id-path.ts';
import { openSourcePush } from '../../src/providers/sources/source-push.ts';
import { sampleSourceBody, signSourcePush } from '../../src/simulator/simulated-source-push.ts';

describe('idPath', () => {
  it('steps into objects, arrays by number, and JSON held in a string', () => {
    expect(valueAtPath({ a: { b: 'x' } }, 'a.b')).toBe('x');
    expect(valueAtPath({ list: [{ id: 7 }, { id: 8 }] }, 'list.1.id')).toBe('8');
    expect(valueAtPath({ content: '{"taskId":"t-1","results":[{"dataId":"d-9"}]}' }, 'content.results.0.dataId')).toBe('d-9');
    expect(valueAtPath({ content: '{"taskId":"t-1"}' }, 'content.taskId')).toBe('t-1');
  });

  it('finds nothing where the path is absent, empty, not a scalar, or inherited', () => {
    expect(valueAtPath({ a: {} }, 'a.b')).toBeUndefined();
    expect(valueAtPath({ a: '' }, 'a')).toBeUndefined();
    expect(valueAtPath({ a: { b: 1 } }, 'a')).toBeUndefined();
    expect(valueAtPath({ a: 'not json' }, 'a.b')).toBeUndefined();
    expect(valueAtPath({}, 'constructor')).toBeUndefined();
    expect(valueAtPath({ list: [1] }, 'list.x')).toBeUndefined();
  });
});

describe('sources in RELAY_CONFIG', () => {
  const load = (content: object, env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-sources-config-'));
    try {
      writeFileSync(join(dir, 'relay.json'), JSON.stringify(content));
      return loadConfig({ RELAY_CONFIG: join(dir, 'relay.json'), ...env });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const withConfig = (content: object, env: Record<string, string> = {}) => () => load(content, env);

  it('stops the start when a name collides with an appid, repeats, or a kind lacks its secrets', () => {
    const hmac = { name: 'shop', kind: 'hmac', idPath: 'id', secret: 's', header: 'x-sig', algorithm: 'sha256', encoding: 'hex' };
    expect(withConfig({ sources: [{ ...hmac, name: 'wx8f16a5be77871234' }] }, { WECHAT_APPID: 'wx8f16a5be77871234', WECHAT_TOKEN: 't' })).toThrow(/sources\[0\] \("wx8f16a5be77871234"\): the name is a configured appid/);
    expect(withConfig({ sources: [hmac, hmac] })).toThrow(/sources\[1\] \("shop"\): the name is used by another source/);
    expect(withConfig({ sources: [{ ...hmac, header: undefined }] })).toThrow(/kind hmac needs header/);
    expect(withConfig({ sources: [{ name: 'ev', kind: 'standard-webhooks', idPath: 'id', secret: 'plain' }] })).toThrow(/whsec_/);
    expect(withConfig({ sources: [{ ...hmac, kind: 'carrier-pigeon' }] })).toThrow(/sources/);
    expect(withConfig({ sources: [{ ...hmac, tokn: 'x' }] })).toThrow(/unknown key/);
    expect(withConfig({ sources: [hmac] })().sources).toHaveLength(1);
  });
});

describe('simulate --source', () => {
  it('signs a push of every kind so that the relay takes it, with the id at idPath', () => {
    const kinds = [
      { name: 'a', kind: 'hmac', idPath: 'order.id', secret: 's', header: 'X-Sig', algorithm: 'sha1', encoding: 'base64', prefix: 'sha1=' },
      { name: 'b', kind: 'standard-webhooks', idPath: 'data.items.0.job', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      { name: 'c', kind: 'tencent-cloud', idPath: 'data.TaskId', seed: 'seed' },
      { name: 'd', kind: 'douyin', idPath: 'content.task_id', secret: 'secret' },
      { name: 'e', kind: 'wecom', idPath: 'ApprovalInfo.SpNo', token: 'QDG6eK', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' },
      { name: 'f', kind: 'aliyun-green', idPath: 'content.taskId', uid: '1234', seed: 'seed' },
    ] as const;
    for (const source of kinds) {
      const push = signSourcePush(source as Source, sampleSourceBody(source, 'the-id'));
      const opened = openSourcePush(source as Source, push.headers, push.query, Buffer.from(push.body), Date.now());
      expect(opened).toMatchObject({ kind: 'push', correlationId: 'the-id' });
    }
  });
});
