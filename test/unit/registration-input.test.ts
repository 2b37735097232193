import { describe, expect, it } from 'vitest';
import { isRelayError } from '../../src/errors/relay-error.ts';
import { parseRegistration } from '../../src/registration/registration-input.ts';

const codeOf = (body: unknown, allowed: string[] = []) => {
  try {
    parseRegistration(body, allowed);
    return 'ok';
  } catch (error) {
    return isRelayError(error) ? error.code : 'unexpected';
  }
};

describe('registration input', () => {
  it('takes trace_id/server_uri and the older traceId/uri, trimming them', () => {
    expect(parseRegistration({ trace_id: ' t1 ', server_uri: 'https://a.example/x' }, [])).toEqual({ traceId: 't1', serverUri: 'https://a.example/x', appId: undefined, timeoutS: undefined });
    expect(parseRegistration({ traceId: 't2', uri: 'http://a.example', app_id: 'wx1', timeout_s: '90' }, [])).toEqual({ traceId: 't2', serverUri: 'http://a.example', appId: 'wx1', timeoutS: 90 });
  });

  it('names what is wrong with a stable code', () => {
    expect(codeOf(null)).toBe('INVALID_REQUEST');
    expect(codeOf({ server_uri: 'https://a.example' })).toBe('MISSING_FIELD');
    expect(codeOf({ trace_id: 't', server_uri: '' })).toBe('MISSING_FIELD');
    expect(codeOf({ trace_id: 't', server_uri: 'a.example/x' })).toBe('INVALID_SERVER_URI');
    expect(codeOf({ trace_id: 't', server_uri: 'file:///etc/passwd' })).toBe('INVALID_SERVER_URI');
    expect(codeOf({ trace_id: 't', server_uri: 'gopher://a.example' })).toBe('INVALID_SERVER_URI');
    expect(codeOf({ trace_id: 't', server_uri: 'https://b.example/x' }, ['https://a.example/'])).toBe('DESTINATION_NOT_ALLOWED');
    expect(codeOf({ trace_id: 't', server_uri: 'https://a.example/x' }, ['https://a.example/'])).toBe('ok');
    expect(codeOf({ trace_id: 't', server_uri: 'https://a.example', timeout_s: 1.5 })).toBe('INVALID_FIELD');
    expect(codeOf({ trace_id: 't', server_uri: 'https://a.example', timeout_s: 31 * 86_400 })).toBe('INVALID_FIELD');
    expect(codeOf({ trace_id: ['t'], server_uri: 'https://a.example' })).toBe('INVALID_FIELD');
  });
});
