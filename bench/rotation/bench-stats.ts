/** Median and p90 (nearest rank) of a sample, rounded for reports. */

export interface Summary {
  median: number;
  p90: number;
  min: number;
  max: number;
  count: number;
}

function nearestRank(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? 0;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: round(nearestRank(sorted, 0.5)),
    p90: round(nearestRank(sorted, 0.9)),
    min: round(sorted[0] ?? 0),
    max: round(sorted.at(-1) ?? 0),
    count: sorted.length,
  };
}
