/**
 * Medians for `deno bench`, which reports averages and percentiles but not the median: a benchmark body
 * wrapped with {@linkcode timed} records each run's duration, and the medians are printed when the bench
 * process ends.
 *
 * @module
 */

const samples = new Map<string, number[]>();

/**
 * Wraps a benchmark body so each run's duration is recorded under `label`.
 *
 * @example Usage
 * ```ts
 * import { timed } from "./_medians.ts";
 * import assert from "node:assert/strict";
 *
 * const body = timed("example", () => Promise.resolve());
 * await body();
 * assert.equal(typeof body, "function");
 * ```
 */
export function timed(label: string, body: () => Promise<unknown>): () => Promise<void> {
  const durations: number[] = [];
  samples.set(label, durations);
  return async () => {
    const started = performance.now();
    await body();
    durations.push(performance.now() - started);
  };
}

/**
 * The median of `values` (NaN for none).
 *
 * @example Usage
 * ```ts
 * import { median } from "./_medians.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(median([3, 1, 2]), 2);
 * assert.equal(median([4, 1, 3, 2]), 2.5);
 * ```
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle] ?? NaN
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

/**
 * Formats milliseconds for the report.
 *
 * @example Usage
 * ```ts
 * import { formatMs } from "./_medians.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatMs(1.23456), "1.235 ms");
 * assert.equal(formatMs(106.84), "106.8 ms");
 * assert.equal(formatMs(1234), "1.23 s");
 * ```
 */
export function formatMs(value: number): string {
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return value >= 100 ? `${value.toFixed(1)} ms` : `${value.toFixed(3)} ms`;
}

globalThis.addEventListener("unload", () => {
  if (samples.size === 0) return;
  console.log("\nmedian per run (including warm-up runs):");
  for (const [label, durations] of samples) {
    if (durations.length > 0) {
      console.log(`  ${label}: ${formatMs(median(durations))} (${durations.length} runs)`);
    }
  }
});
