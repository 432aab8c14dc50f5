/** Small numeric helpers of the bench: percentiles and memory samples. */

/** Linear-interpolated percentile (p in 0..100) of a non-empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty sample');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export interface Spread {
  readonly median: number;
  readonly p90: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: percentile(values, 50), p90: percentile(values, 90) };
}

export interface MemorySample {
  /** Resident set size now, MiB (main thread, worker threads and wasm heaps: one process). */
  readonly rssMiB: number;
  /** Peak resident set size of the process so far, MiB (getrusage maxrss; never goes down). */
  readonly peakRssMiB: number;
}

export function memory(): MemorySample {
  return { rssMiB: process.memoryUsage.rss() / 2 ** 20, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
}

/** Rounds for display and JSON, so the report does not carry 15 noise digits. */
export function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
