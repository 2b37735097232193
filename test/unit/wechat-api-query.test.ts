import { describe, expect, it } from 'vitest';
import { maskToken } from '../../src/cli/token-command.ts';
import { queryWithToken } from '../../src/wechat-api/wechat-api-client.ts';

describe('the query sent to WeChat', () => {
  it('keeps the caller\'s parameters byte for byte and puts the token in place of the relay\'s own', () => {
    expect(queryWithToken('', 'T')).toBe('access_token=T');
    expect(queryWithToken('env_version=trial&x=%E5%AE%A1', 'T')).toBe('env_version=trial&x=%E5%AE%A1&access_token=T');
    expect(queryWithToken('access_token=stale&app_id=wx1&a=1&&b', 'new/+=')).toBe('a=1&b&access_token=new%2F%2B%3D');
  });
});

describe('a token shown by the CLI', () => {
  it('keeps four characters at each end and the length, never the rest', () => {
    const token = `90_${'x'.repeat(140)}ab12`;
    expect(maskToken(token)).toBe(`90_x…ab12 (${token.length} characters)`);
    expect(maskToken('short')).toBe('***');
  });
});
