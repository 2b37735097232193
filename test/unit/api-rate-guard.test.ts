import { describe, expect, it } from 'vitest';
import { ApiRateGuard } from '../../src/wechat-api/api-rate-guard.ts';

const admitted = async (guard: ApiRateGuard, count: number) => {
  let passed = 0;
  for (let i = 0; i < count; i++) passed += await guard.admit('wx1', 'wxa/media_check_async').then(() => 1, () => 0);
  return passed;
};

describe('the rate guard of WeChat\'s minute quotas', () => {
  it('lets the quota through at once, refuses the next with a Retry-After, and weighs the previous minute as it slides out', async () => {
    let now = 60_000 * 1000 + 30_000;
    const guard = new ApiRateGuard({ now: () => now });
    expect(await admitted(guard, 2000)).toBe(2000);
    const refusal = await guard.admit('wx1', 'wxa/media_check_async').catch((error: { code: string; headers: Record<string, string> }) => error);
    expect(refusal).toMatchObject({ code: 'RATE_LIMITED', headers: { 'retry-after': '30' } });
    // 15 s into the next window, three quarters of the previous minute's 2 000 still count: 500 more fit.
    now += 45_000;
    expect(await admitted(guard, 600)).toBe(500);
    // Other APIs and paths without a documented limit are not counted here.
    expect(await guard.admit('wx1', 'wxa/getwxacodeunlimit').then(() => 'ok')).toBe('ok');
    expect(await guard.admit('wx2', 'wxa/media_check_async').then(() => 'ok')).toBe('ok');
  });
});
