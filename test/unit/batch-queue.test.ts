import { describe, expect, it } from 'vitest';
import { BatchQueue } from '../../src/time/batch-queue.ts';

describe('BatchQueue', () => {
  it('flushes what was queued in one turn together, and what came during a flush in the next batch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const queue = new BatchQueue<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((resolve) => { release = resolve; });
      return items.map((item) => ({ ok: true, value: item * 10 }));
    }, 100);
    const first = [1, 2, 3].map((item) => queue.push(item));
    await new Promise((resolve) => setImmediate(resolve));
    const during = [4, 5].map((item) => queue.push(item));
    release();
    expect(await Promise.all([...first, ...during])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('cuts batches at the maximum, settles each item with its own outcome, and rejects a whole batch whose flush throws', async () => {
    const queue = new BatchQueue<number, string>(async (items) => {
      if (items.includes(99)) throw new Error('flush failed');
      return items.map((item) => (item % 2 === 0 ? { ok: true, value: `even ${item}` } : { ok: false, error: new Error(`odd ${item}`) }));
    }, 2);
    const results = await Promise.allSettled([queue.push(2), queue.push(3), queue.push(99), queue.push(4)]);
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message)))
      .toEqual(['even 2', 'odd 3', 'flush failed', 'flush failed']);
  });
});
