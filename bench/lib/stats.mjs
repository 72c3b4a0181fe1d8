// Small statistics helpers for the benchmark: percentiles and rounding for the report.

/** The p-th percentile (0-100) of `values` by the nearest-rank method; null when empty. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** p50 / p95 / p99 / max and the count, in the unit of `values` (milliseconds here). */
export function summary(values) {
  if (values.length === 0) return { n: 0, p50: null, p95: null, p99: null, max: null };
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return { n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max };
}

/** Rounds to `digits` decimals, keeping null as null. */
export function round(x, digits = 1) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
