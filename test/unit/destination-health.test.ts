import { describe, expect, it } from 'vitest';
import { DestinationHealth, originOf } from '../../src/delivery/destination-health.ts';
import type { SendResult } from '../../src/delivery/http-sender.ts';

const ok: SendResult = { outcome: 'success', httpStatus: 200, durationMs: 1, retryAfterMs: null, errorMessage: null, responseExcerpt: null };
const down: SendResult = { outcome: 'network_error', httpStatus: null, durationMs: 1, retryAfterMs: null, errorMessage: 'ECONNREFUSED', responseExcerpt: null };
const notFound: SendResult = { ...ok, outcome: 'http_error', httpStatus: 404 };

async function sendThrough(health: DestinationHealth, url: string, result: SendResult): Promise<SendResult | 'postponed' | 'closed-gate'> {
  const gate = health.enter(url);
  if (!gate.isOpen) return 'closed-gate';
  try {
    return await gate.send(async () => result);
  } finally {
    gate.release();
  }
}

describe('destination health', () => {
  it('lets a send wait for a busy origin\'s slot, oldest first, and gives up after the wait', async () => {
    const health = new DestinationHealth({ concurrencyPerOrigin: 1, breakerFailures: 0, breakerCooldownMs: 1000 });
    const holder = health.enter('https://a.example.com/x');
    const order: string[] = [];
    const first = health.enterWaiting('https://a.example.com/1', 5000).then((gate) => { order.push('first'); return gate; });
    const second = health.enterWaiting('https://a.example.com/2', 5000).then((gate) => { order.push('second'); return gate; });
    if (holder.isOpen) holder.release();
    const firstGate = await first;
    expect(firstGate.isOpen).toBe(true);
    if (firstGate.isOpen) await firstGate.send(async () => ok);
    expect((await second).isOpen).toBe(true);
    expect(order).toEqual(['first', 'second']);
    expect(await health.enterWaiting('https://a.example.com/3', 20)).toMatchObject({ isOpen: false, reason: 'origin_busy' });
  });

  it('caps sends in flight per origin, not per URL', () => {
    const health = new DestinationHealth({ concurrencyPerOrigin: 2, breakerFailures: 0, breakerCooldownMs: 1000 });
    const first = health.enter('https://a.example.com/x');
    const second = health.enter('https://a.example.com/y');
    expect(health.enter('https://a.example.com/z')).toMatchObject({ isOpen: false, reason: 'origin_busy' });
    expect(health.enter('https://b.example.com/x').isOpen).toBe(true);
    if (first.isOpen) first.release();
    expect(health.enter('https://a.example.com/z').isOpen).toBe(true);
    expect(second.isOpen).toBe(true);
  });

  it('opens after N consecutive server failures, probes once after the cooldown, closes on success', async () => {
    let now = 1_000_000;
    const health = new DestinationHealth({ concurrencyPerOrigin: 8, breakerFailures: 3, breakerCooldownMs: 50 }, () => now);
    const url = 'http://dead.example.com/hook';
    await sendThrough(health, url, down);
    await sendThrough(health, url, notFound);
    // A 4xx means the server is alive: the count starts again.
    expect(health.states()[0]).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    for (let index = 0; index < 3; index += 1) await sendThrough(health, url, down);
    expect(health.states()[0]).toMatchObject({ state: 'open', consecutiveFailures: 3, openedAt: now, probeAt: now + 50 });
    expect(health.enter(url)).toMatchObject({ isOpen: false, reason: 'circuit_open', retryAt: now + 50 });
    now += 60;
    // cockatiel measures its cooldown on the real clock.
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await sendThrough(health, url, ok)).toEqual(ok);
    expect(health.states()[0]).toMatchObject({ state: 'closed', consecutiveFailures: 0, openedAt: null });
  });

  it('names tunnel destinations by tunnel', () => {
    expect(originOf('tunnel://dev-laptop/wx')).toBe('tunnel://dev-laptop');
    expect(originOf('https://a.example.com:8443/x?y')).toBe('https://a.example.com:8443');
  });
});
