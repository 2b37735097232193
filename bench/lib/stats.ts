/** Median of a list (the middle value, or the mean of the two middle ones). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Spread as ±% of the median: (max − min) / 2 / median. */
export function spreadPercent(values: readonly number[]): number {
  const mid = median(values);
  if (!mid) return 0;
  return ((Math.max(...values) - Math.min(...values)) / 2 / mid) * 100;
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
