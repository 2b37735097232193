import { describe, expect, it } from 'vitest';
import { answersDuring } from '../../chaos/lib/outage.ts';
import { countResentAfter } from '../../chaos/lib/resent.ts';
import { tally } from '../../chaos/lib/traffic.ts';

// The chaos run passes or fails on these counts; they must not miscount.
describe('chaos counting', () => {
  it('counts only the tries sent and answered inside the outage', () => {
    const answers = [
      { sentAt: 90, answeredAt: 110, status: 200, isDone: true }, // stored before the crash, answered after: not counted
      { sentAt: 100, answeredAt: 120, status: 503, isDone: false },
      { sentAt: 130, answeredAt: 131, status: null, isDone: false },
      { sentAt: 140, answeredAt: 150, status: 200, isDone: true }, // `success` while down: a breach
      { sentAt: 150, answeredAt: 160, status: 400, isDone: false },
      { sentAt: 190, answeredAt: 210, status: 200, isDone: true }, // answered after the restart began: not counted
    ];
    expect(answersDuring(answers, 100, 200)).toEqual({ done: 1, serverErrors: 1, unanswered: 1, other: 1 });
  });

  it('tells lost and twice-forwarded traces apart', () => {
    const forwards = new Map([['a', [1]], ['b', [1, 2]]]);
    expect(tally(new Set(['a', 'b', 'c']), forwards)).toEqual({ forwarded: 2, lost: ['c'], twice: 1 });
  });

  it('counts as taken over only duplicates first sent before the fault and again a lease later', () => {
    const forwards = new Map([['in-flight', [900, 6000]], ['quick-retry', [900, 1200]], ['after', [2000, 8000]], ['once', [500]]]);
    expect(countResentAfter(forwards, 1000, 4000)).toEqual({ resent: 1, twice: 3 });
  });
});
