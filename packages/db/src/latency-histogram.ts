// Mergeable latency histograms for rollups: fixed log-scale buckets ~5% wide, stored as JSON
// { "<bucket>": count }. Merging is summing counts, so p95 over a day or a month is computed from the merged
// counts, never by averaging hourly percentiles. The SQL fragments and the TypeScript functions below are
// the same formulas; the rollup and the reports use the SQL, tests use the TypeScript to check it.

/** Growth factor between bucket bounds. */
export const HISTOGRAM_BASE = 1.05;
/** Bucket 300 ends at ~38 minutes, past any gateway timeout; anything longer lands in it. */
export const HISTOGRAM_MAX_BUCKET = 300;

/** Bucket i holds values in (BASE^(i-1), BASE^i]; bucket 0 holds everything up to 1 ms. */
export function bucketOf(ms: number): number {
  if (ms <= 1) return 0;
  return Math.min(Math.ceil(Math.log(ms) / Math.log(HISTOGRAM_BASE)), HISTOGRAM_MAX_BUCKET);
}

/** The value reported for a bucket: the largest whole millisecond it can hold (at most 5% high). */
export function bucketValue(bucket: number): number {
  return Math.floor(HISTOGRAM_BASE ** bucket);
}

export type Histogram = Record<string, number>;

export function mergeHistograms(hists: Histogram[]): Histogram {
  const out: Histogram = {};
  for (const h of hists) for (const [k, n] of Object.entries(h)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** Nearest-rank percentile (q in 0..1): the first bucket whose cumulative count reaches ceil(q × total). */
export function histogramPercentile(hist: Histogram, q: number): number | null {
  const entries = Object.entries(hist)
    .map(([k, n]) => [Number(k), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let cum = 0;
  for (const [bucket, n] of entries) {
    cum += n;
    if (cum >= rank) return bucketValue(bucket);
  }
  return null;
}

/** SQL: the bucket of an integer millisecond expression. */
export function sqlBucketOf(expr: string): string {
  return `(CASE WHEN (${expr}) <= 1 THEN 0 ELSE least(ceil(ln((${expr})::float8) / ln(${HISTOGRAM_BASE}::float8))::int, ${HISTOGRAM_MAX_BUCKET}) END)`;
}

/** SQL: the reported value of a bucket expression (NULL stays NULL). */
export function sqlBucketValue(expr: string): string {
  return `(floor(power(${HISTOGRAM_BASE}::float8, (${expr})::float8))::int)`;
}

/**
 * SQL for one CTE body: given `source` yielding (<dims>, b, n) rows — bucket and count, possibly several
 * rows per bucket — returns one row per dims with `hist` (jsonb) and `p50`, `p95`, `p99` in milliseconds.
 */
export function sqlHistogramSummary(source: string, dims: readonly string[]): string {
  const d = dims.join(", ");
  const pct = (q: number) => sqlBucketValue(`min(b) FILTER (WHERE cum >= ceil(${q} * tot))`);
  return `SELECT ${d}, jsonb_object_agg(b::text, n) AS hist,
      ${pct(0.5)} AS p50, ${pct(0.95)} AS p95, ${pct(0.99)} AS p99
    FROM (
      SELECT ${d}, b, n,
        sum(n) OVER (PARTITION BY ${d} ORDER BY b) AS cum,
        sum(n) OVER (PARTITION BY ${d}) AS tot
      FROM (SELECT ${d}, b, sum(n)::bigint AS n FROM (${source}) s0 GROUP BY ${d}, b) s1
    ) s2
    GROUP BY ${d}`;
}
