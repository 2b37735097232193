const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses `300ms`, `5s`, `2m`, `1.5h` into milliseconds; undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
}

/** Parses a comma-separated schedule such as `5s,30s,2m`; throws a message naming the bad entry. */
export function parseSchedule(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  if (parts.length === 0) throw new Error('must list at least one delay, e.g. "5s,30s,2m"');
  return parts.map((part) => {
    const ms = parseDurationMs(part);
    if (ms === undefined) throw new Error(`"${part}" is not a delay (a number followed by ms, s, m or h)`);
    return ms;
  });
}

/** Formats milliseconds back into the shortest exact unit, for logs and docs. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
