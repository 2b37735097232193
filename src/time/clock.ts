/** Time as a dependency, so tests and SQL agree on "now" (milliseconds since the epoch). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
