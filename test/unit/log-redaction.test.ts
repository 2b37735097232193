import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { censorSecrets, createRelayLogger } from '../../src/app/relay-logger.ts';

describe('log redaction', () => {
  it('never writes tokens, AES keys, API keys, signing secrets or tunnel keys', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createRelayLogger('info', sink);
    logger.info({
      config: {
        apiKeys: ['api-key-secret-1'], signingSecrets: ['whsec_c2lnbmluZy1zZWNyZXQ='], scopedApiKeys: [{ id: 'a', key: 'scoped-secret-1' }],
        tunnelKeys: [{ name: 'alice', key: 'tunnel-secret-1' }],
      },
      app: { appId: 'wx1', token: 'token-secret-1', encodingAesKey: 'aes-secret-1' },
      req: { headers: { authorization: 'Bearer header-secret-1', cookie: 'session=cookie-secret-1' } },
    }, 'configuration');
    const text = lines.join('');
    for (const secret of ['api-key-secret-1', 'c2lnbmluZy1zZWNyZXQ', 'scoped-secret-1', 'tunnel-secret-1', 'token-secret-1', 'aes-secret-1', 'header-secret-1', 'cookie-secret-1']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('wx1');
  });

  it('censors a secret key at the top of a line and in an error, and leaves the caller\'s object as it was', () => {
    const app = { appId: 'wx1', appSecret: 'app-secret-1' };
    const error = Object.assign(new Error('stable_token failed'), { access_token: 'access-token-1' });
    const line = censorSecrets({ token: 'top-secret-1', app, err: error, trace_id: 't-1' });
    expect(JSON.stringify(line)).not.toMatch(/top-secret-1|app-secret-1|access-token-1/);
    expect(line).toMatchObject({ trace_id: 't-1', app: { appId: 'wx1' }, err: { message: 'stable_token failed' } });
    expect(app.appSecret).toBe('app-secret-1');
    expect(error.access_token).toBe('access-token-1');
  });

  it('passes a line without secrets through as it is, uncopied', () => {
    const fields = { trace_id: 't-1', app_id: 'wx1', attempt: 1, outcome: 'delivered', detail: { status: 200 } };
    expect(censorSecrets(fields)).toBe(fields);
  });
});
