/**
 * Of the traces forwarded more than once, how many arrived first before `faultAt`
 * and again at least `gapMs` later: attempts in flight at the fault, sent again
 * by another pass once the lease ran out.
 */
export function countResentAfter(forwards: ReadonlyMap<string, readonly number[]>, faultAt: number, gapMs: number): { resent: number; twice: number } {
  let resent = 0;
  let twice = 0;
  for (const times of forwards.values()) {
    if (times.length < 2) continue;
    twice += 1;
    if (times[0]! <= faultAt && times[times.length - 1]! - times[0]! >= gapMs) resent += 1;
  }
  return { resent, twice };
}
