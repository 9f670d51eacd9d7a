// Folds request logs into hourly and daily rollups by recomputing every bucket of each touched (tenant, hour)
// from the raw rows. Recomputing instead of adding deltas is what makes the job idempotent: running it twice,
// or on two workers at once, writes the same rows.
//
// Which hours are touched:
// - incremental (every minute): hours holding logs with created_at >= watermark - lag, and hours of requests
//   whose feedback was written or changed since watermark - lag. request_logs has no ingestion timestamp, so
//   a log is found by the incremental pass only if the proxy wrote it within `lag` of its created_at (the
//   proxy batches for seconds; the lag default is 10 minutes).
// - reconcile (hourly): hours of the last `reconcileHours` whose raw row count exceeds their rolled-up
//   request count. This catches logs that arrived later than the lag (a proxy replaying its disk journal
//   after a Postgres outage). Late logs are counted exactly once either way, because the hour is recomputed.
//
// Rollups outlive raw logs (retention deletes logs, never rollups). An hour is therefore never recomputed
// downward: if its raw rows now number fewer than its rolled-up requests, retention got there first and the
// existing rollup stays.
import type { Pool, PoolClient } from "pg";
import { sqlBucketOf, sqlHistogramSummary } from "@gateway/db/latency-histogram";

export const ROLLUP_STATE_NAME = "rollup_hourly";
export const DEFAULT_LAG_MS = 10 * 60_000;
export const DEFAULT_RECONCILE_HOURS = 48;
/** Days recomputed per transaction: bounds the advisory locks held and the statement size. */
const DAYS_PER_TRANSACTION = 31;
const HOUR_MS = 3_600_000;
/** Above this many changed hourly buckets, recomputing whole days is cheaper than filtering them. */
const MAX_FILTERED_DAILY_DIMS = 500;
const DAY_MS = 86_400_000;

const DIMS = ["bucket_start", "app_id", "environment", "api_key_id", "route_name", "model", "workflow"] as const;
const KEY_COLS = ["tenant_id", ...DIMS] as const;

/** Value columns in table order after the key; shared by the hourly and daily statements. */
const VALUE_COLS = [
  "requests",
  "successes",
  "errors",
  "errors_by_class",
  "fallbacks",
  "retries",
  "cache_hits",
  "guardrail_hits",
  "input_tokens",
  "output_tokens",
  "cached_tokens",
  "cost_micros",
  "success_cost_micros",
  "cost_saved_micros",
  "latency_hist",
  "ttft_hist",
  "latency_p50_ms",
  "latency_p95_ms",
  "latency_p99_ms",
  "ttft_p50_ms",
  "ttft_p95_ms",
  "ttft_p99_ms",
  "feedback_accepted",
  "feedback_edited",
  "feedback_regenerated",
  "feedback_abandoned",
] as const;

export interface RollupOptions {
  now: Date;
  mode?: "incremental" | "reconcile";
  /** Restrict to one tenant (tests, a manual recompute). */
  tenantId?: string;
  /** rollup_state row holding the watermark; tests use their own. */
  stateName?: string;
  lagMs?: number;
  reconcileHours?: number;
  onProgress?: (p: { tenantsDone: number; tenants: number; hours: number; rows: number }) => void;
}

export interface RollupResult {
  mode: "incremental" | "reconcile";
  tenants: number;
  hours: number;
  days: number;
  /** Raw log rows read while recomputing. */
  rowsRead: number;
  hourlyUpserted: number;
  hourlyDeleted: number;
  dailyUpserted: number;
  dailyDeleted: number;
  /** Hours left alone because retention already removed some of their logs. */
  hoursKeptAfterRetention: number;
}

type Touched = Map<string, Set<number>>;

function addTouched(touched: Touched, tenantId: string, hour: Date): void {
  let s = touched.get(tenantId);
  if (!s) touched.set(tenantId, (s = new Set()));
  s.add(hour.getTime());
}

export async function readWatermark(pool: Pool, stateName = ROLLUP_STATE_NAME): Promise<Date | null> {
  const r = await pool.query<{ watermark: Date }>("SELECT watermark FROM rollup_state WHERE name = $1", [stateName]);
  return r.rows[0]?.watermark ?? null;
}

/**
 * Hours a writer has explicitly marked for recomputation: anything that lands logs or feedback in an hour
 * that may already be rolled up, however late (a proxy replaying its disk journal days later), can insert
 *   INSERT INTO rollup_state (name, watermark) VALUES ('dirty:<tenantId>:<hour ISO>', <hour start>)
 *   ON CONFLICT (name) DO UPDATE SET updated_at = now()
 * and the next rollup of either mode recomputes that hour and removes the mark.
 */
export const DIRTY_PREFIX = "dirty:";

async function readDirtyMarks(
  pool: Pool,
  tenantId: string | undefined,
): Promise<{ name: string; tenantId: string; hour: Date; updatedAt: Date }[]> {
  const r = await pool.query<{ name: string; watermark: Date; updated_at: Date }>(
    `SELECT name, watermark, updated_at FROM rollup_state
     WHERE starts_with(name, 'dirty:') AND ($1::text IS NULL OR starts_with(name, 'dirty:' || $1 || ':'))`,
    [tenantId ?? null],
  );
  return r.rows.flatMap((row) => {
    const rest = row.name.slice(DIRTY_PREFIX.length);
    const tenant = rest.slice(0, rest.indexOf(":"));
    if (!tenant) return [];
    const hour = new Date(Math.floor(row.watermark.getTime() / HOUR_MS) * HOUR_MS);
    return [{ name: row.name, tenantId: tenant, hour, updatedAt: row.updated_at }];
  });
}

async function findTouchedIncremental(pool: Pool, since: Date, tenantId: string | undefined): Promise<Touched> {
  const touched: Touched = new Map();
  // Lateral per tenant so each lookup is a range scan of the (tenant_id, created_at) index.
  const logs = await pool.query<{ tenant_id: string; h: Date }>(
    `SELECT t.id AS tenant_id, x.h FROM tenants t
     CROSS JOIN LATERAL (
       SELECT DISTINCT date_trunc('hour', l.created_at, 'UTC') AS h
       FROM request_logs l WHERE l.tenant_id = t.id AND l.created_at >= $1
     ) x
     WHERE ($2::text IS NULL OR t.id = $2)`,
    [since, tenantId ?? null],
  );
  for (const r of logs.rows) addTouched(touched, r.tenant_id, r.h);
  const feedback = await pool.query<{ tenant_id: string; h: Date }>(
    `SELECT DISTINCT tenant_id, date_trunc('hour', request_at, 'UTC') AS h FROM feedback
     WHERE greatest(created_at, updated_at) >= $1 AND ($2::text IS NULL OR tenant_id = $2)`,
    [since, tenantId ?? null],
  );
  for (const r of feedback.rows) addTouched(touched, r.tenant_id, r.h);
  return touched;
}

async function findTouchedReconcile(pool: Pool, since: Date, tenantId: string | undefined): Promise<Touched> {
  const touched: Touched = new Map();
  const r = await pool.query<{ tenant_id: string; h: Date }>(
    `SELECT t.id AS tenant_id, x.h FROM tenants t
     CROSS JOIN LATERAL (
       SELECT date_trunc('hour', l.created_at, 'UTC') AS h, count(*) AS n
       FROM request_logs l WHERE l.tenant_id = t.id AND l.created_at >= $1 GROUP BY 1
     ) x
     LEFT JOIN LATERAL (
       SELECT sum(r.requests) AS s FROM rollups_hourly r WHERE r.tenant_id = t.id AND r.bucket_start = x.h
     ) y ON true
     WHERE ($2::text IS NULL OR t.id = $2) AND x.n > coalesce(y.s, 0)`,
    [since, tenantId ?? null],
  );
  for (const row of r.rows) addTouched(touched, row.tenant_id, row.h);
  return touched;
}

/**
 * Grouping and join keys: a 64-bit hash of the dimensions first, then the dimensions themselves. The hash
 * makes sorts and merges compare one bigint almost always instead of seven collated strings; the
 * dimensions after it keep the result exact even if two buckets' hashes ever collide.
 */
const dimList = ["dh", ...DIMS].join(", ");
const GROUP_DIMS = ["dh", ...DIMS] as const;
const dimHash = (prefix: string) =>
  `hashtextextended(concat_ws('|', ${DIMS.map((d) => (d === "bucket_start" ? `${prefix}bucket_start::text` : `${prefix}${d}`)).join(", ")}), 0)`;
const joinOn = (a: string, b: string) =>
  KEY_COLS.filter((c) => c !== "tenant_id")
    .map((c) => `${a}.${c} = ${b}.${c}`)
    .join(" AND ");

/**
 * The shared tail of both statements: `agg` (scalar sums per dims), `errs`, `lat`, `ttft` CTEs are given;
 * this joins them, keeps hours that pass the retention guard, upserts changed rows and deletes vanished ones.
 */
/** The six dimensions of a bucket besides its time, as a SQL row value over `alias`. */
const bucketDims = (alias: string) =>
  `(${DIMS.filter((d) => d !== "bucket_start")
    .map((d) => `${alias}.${d}`)
    .join(", ")})`;

/** SQL: `alias`'s dimensions are among those listed in the jsonb parameter `param` (NULL: any dimensions). */
const dimsIn = (alias: string, param: string) =>
  `(${param}::jsonb IS NULL OR ${bucketDims(alias)} IN (
     SELECT x->>0, x->>1, x->>2, x->>3, x->>4, x->>5 FROM jsonb_array_elements(${param}::jsonb) x))`;

function upsertTail(
  table: "rollups_hourly" | "rollups_daily",
  guardedPeriods: string,
  opts: { deleteScope?: string; returnChangedDims?: boolean } = {},
): string {
  const dimCols = DIMS.filter((d) => d !== "bucket_start").join(", ");
  const insertCols = [...KEY_COLS, ...VALUE_COLS, "updated_at"].join(", ");
  const updates = [...VALUE_COLS, "updated_at"].map((c) => `${c} = EXCLUDED.${c}`).join(", ");
  const changed = `(${VALUE_COLS.map((c) => `r.${c}`).join(", ")}) IS DISTINCT FROM (${VALUE_COLS.map((c) => `EXCLUDED.${c}`).join(", ")})`;
  return `
  computed AS (
    SELECT $1::text AS tenant_id, a.${DIMS.join(", a.")},
      a.requests, a.successes, a.errors, coalesce(e.errors_by_class, '{}'::jsonb) AS errors_by_class,
      a.fallbacks, a.retries, a.cache_hits, a.guardrail_hits, a.input_tokens, a.output_tokens, a.cached_tokens,
      a.cost_micros, a.success_cost_micros, a.cost_saved_micros,
      coalesce(l.hist, '{}'::jsonb) AS latency_hist, coalesce(t.hist, '{}'::jsonb) AS ttft_hist,
      l.p50 AS latency_p50_ms, l.p95 AS latency_p95_ms, l.p99 AS latency_p99_ms,
      t.p50 AS ttft_p50_ms, t.p95 AS ttft_p95_ms, t.p99 AS ttft_p99_ms,
      a.feedback_accepted, a.feedback_edited, a.feedback_regenerated, a.feedback_abandoned
    FROM agg a
    LEFT JOIN errs e USING (${dimList})
    LEFT JOIN lat l USING (${dimList})
    LEFT JOIN ttft t USING (${dimList})
  ),
  guard AS (${guardedPeriods}),
  ins AS (
    INSERT INTO ${table} AS r (${insertCols})
    SELECT ${[...KEY_COLS, ...VALUE_COLS].map((col) => `c.${col}`).join(", ")}, now()
    FROM computed c WHERE c.bucket_start IN (SELECT p FROM guard)
    ON CONFLICT (${KEY_COLS.join(", ")}) DO UPDATE SET ${updates}
    WHERE ${changed}
    RETURNING ${dimCols}
  ),
  del AS (
    DELETE FROM ${table} r
    WHERE r.tenant_id = $1 AND r.bucket_start IN (SELECT p FROM guard) AND ${opts.deleteScope ?? "true"}
      AND NOT EXISTS (SELECT 1 FROM computed c WHERE ${joinOn("c", "r")})
    RETURNING ${dimCols}
  )
  SELECT (SELECT count(*) FROM ins)::int AS upserted, (SELECT count(*) FROM del)::int AS deleted,
    ${
      opts.returnChangedDims
        ? // NULL when too many changed: CASE runs only the chosen branch, so a big change skips the list.
          `CASE WHEN (SELECT count(*) FROM ins) + (SELECT count(*) FROM del) > ${MAX_FILTERED_DAILY_DIMS} THEN NULL
            ELSE (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_array(${dimCols})), '[]'::jsonb)
                  FROM (SELECT * FROM ins UNION ALL SELECT * FROM del) x) END`
        : "NULL::jsonb"
    } AS changed_dims,
    (SELECT coalesce(sum(requests), 0) FROM computed)::bigint AS rows_read,
    (SELECT count(*) FROM unnest($2::timestamptz[]) p WHERE p NOT IN (SELECT p FROM guard))::int AS kept`;
}

/** $1 tenant, $2 hours (timestamptz[]), $3/$4 created_at range covering them. */
const HOURLY_SQL = `
WITH raw AS (
  SELECT date_trunc('hour', l.created_at, 'UTC') AS bucket_start,
    coalesce(l.app_id, '') AS app_id, coalesce(l.environment, '') AS environment,
    coalesce(l.api_key_id, '') AS api_key_id, coalesce(l.route_name, '') AS route_name,
    coalesce(l.final_model, l.requested_model) AS model, coalesce(l.workflow, '') AS workflow,
    l.status, l.error_code, l.fallback_used, l.retry_count, l.cache_hit, l.guardrail_findings,
    l.input_tokens, l.output_tokens, l.cached_tokens, l.cost_micros, l.cost_saved_micros,
    -- Rejections (auth, limits, budgets) never reach a provider: their latency would flatter the percentiles.
    CASE WHEN l.status <> 'rejected' THEN ${sqlBucketOf("l.latency_ms")} END AS lat_b,
    CASE WHEN l.ttft_ms IS NOT NULL THEN ${sqlBucketOf("l.ttft_ms")} END AS ttft_b,
    f.action::text AS feedback
  FROM request_logs l
  LEFT JOIN feedback f ON f.request_id = l.id AND f.tenant_id = l.tenant_id
  WHERE l.tenant_id = $1 AND l.created_at >= $3 AND l.created_at < $4
    AND date_trunc('hour', l.created_at, 'UTC') = ANY($2::timestamptz[])
),
base AS (SELECT ${dimHash("raw.")} AS dh, raw.* FROM raw),
agg AS (
  SELECT ${dimList},
    count(*)::int AS requests,
    count(*) FILTER (WHERE status = 'success')::int AS successes,
    count(*) FILTER (WHERE status <> 'success')::int AS errors,
    count(*) FILTER (WHERE fallback_used)::int AS fallbacks,
    coalesce(sum(retry_count), 0)::int AS retries,
    count(*) FILTER (WHERE cache_hit <> 'none')::int AS cache_hits,
    count(*) FILTER (WHERE jsonb_typeof(guardrail_findings) = 'array' AND jsonb_array_length(guardrail_findings) > 0)::int AS guardrail_hits,
    sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens,
    sum(cached_tokens)::bigint AS cached_tokens, sum(cost_micros)::bigint AS cost_micros,
    coalesce(sum(cost_micros) FILTER (WHERE status = 'success'), 0)::bigint AS success_cost_micros,
    sum(cost_saved_micros)::bigint AS cost_saved_micros,
    count(*) FILTER (WHERE feedback = 'accepted')::int AS feedback_accepted,
    count(*) FILTER (WHERE feedback = 'edited')::int AS feedback_edited,
    count(*) FILTER (WHERE feedback = 'regenerated')::int AS feedback_regenerated,
    count(*) FILTER (WHERE feedback = 'abandoned')::int AS feedback_abandoned
  FROM base GROUP BY ${dimList}
),
errs AS (
  SELECT ${dimList}, jsonb_object_agg(code, n) AS errors_by_class FROM (
    SELECT ${dimList}, coalesce(error_code, status) AS code, count(*)::int AS n
    FROM base WHERE status <> 'success' GROUP BY ${dimList}, code
  ) e GROUP BY ${dimList}
),
lat AS (${sqlHistogramSummary(`SELECT ${dimList}, lat_b AS b, 1 AS n FROM base WHERE lat_b IS NOT NULL`, GROUP_DIMS)}),
ttft AS (${sqlHistogramSummary(`SELECT ${dimList}, ttft_b AS b, 1 AS n FROM base WHERE ttft_b IS NOT NULL`, GROUP_DIMS)}),
${upsertTail(
  "rollups_hourly",
  `SELECT p FROM unnest($2::timestamptz[]) p
   LEFT JOIN (SELECT bucket_start, sum(requests) AS n FROM computed GROUP BY 1) c ON c.bucket_start = p
   LEFT JOIN (SELECT bucket_start, sum(requests) AS n FROM rollups_hourly
              WHERE tenant_id = $1 AND bucket_start >= $3 AND bucket_start < $4 GROUP BY 1) e ON e.bucket_start = p
   WHERE coalesce(c.n, 0) >= coalesce(e.n, 0)`,
  { returnChangedDims: true },
)}`;

const sumCols = [
  "requests",
  "successes",
  "errors",
  "fallbacks",
  "retries",
  "cache_hits",
  "guardrail_hits",
  "feedback_accepted",
  "feedback_edited",
  "feedback_regenerated",
  "feedback_abandoned",
];
const sumBigCols = [
  "input_tokens",
  "output_tokens",
  "cached_tokens",
  "cost_micros",
  "success_cost_micros",
  "cost_saved_micros",
];

/** $1 tenant, $2 days (timestamptz[]), $3/$4 bucket_start range covering them. Reads hourly rollups only. */
const DAILY_SQL = `
WITH hours AS (
  SELECT date_trunc('day', h.bucket_start, 'UTC') AS bucket_start,
    h.app_id, h.environment, h.api_key_id, h.route_name, h.model, h.workflow,
    ${[...sumCols, ...sumBigCols, "errors_by_class", "latency_hist", "ttft_hist"].map((c) => `h.${c}`).join(", ")}
  FROM rollups_hourly h
  WHERE h.tenant_id = $1 AND h.bucket_start >= $3 AND h.bucket_start < $4
    AND date_trunc('day', h.bucket_start, 'UTC') = ANY($2::timestamptz[])
    -- Only the buckets whose hourly rows just changed; every other daily row is already right.
    AND ${dimsIn("h", "$5")}
),
src AS (SELECT ${dimHash("hours.")} AS dh, hours.* FROM hours),
agg AS (
  SELECT ${dimList},
    ${sumCols.map((c) => `sum(${c})::int AS ${c}`).join(", ")},
    ${sumBigCols.map((c) => `sum(${c})::bigint AS ${c}`).join(", ")}
  FROM src GROUP BY ${dimList}
),
errs AS (
  SELECT ${dimList}, jsonb_object_agg(k, n) AS errors_by_class FROM (
    SELECT ${dimList}, kv.key AS k, sum(kv.value::int)::int AS n
    FROM src, jsonb_each_text(src.errors_by_class) kv GROUP BY ${dimList}, kv.key
  ) e GROUP BY ${dimList}
),
lat AS (${sqlHistogramSummary(`SELECT ${dimList}, kv.key::int AS b, kv.value::bigint AS n FROM src, jsonb_each_text(src.latency_hist) kv`, GROUP_DIMS)}),
ttft AS (${sqlHistogramSummary(`SELECT ${dimList}, kv.key::int AS b, kv.value::bigint AS n FROM src, jsonb_each_text(src.ttft_hist) kv`, GROUP_DIMS)}),
${upsertTail("rollups_daily", "SELECT p FROM unnest($2::timestamptz[]) p", { deleteScope: dimsIn("r", "$5") })}`;

interface StatementResult {
  upserted: number;
  deleted: number;
  changed_dims: unknown[] | null;
  rows_read: string;
  kept: number;
}

async function lockDays(client: PoolClient, tenantId: string, days: number[]): Promise<void> {
  // Sorted, so two workers taking overlapping sets cannot deadlock; a hash collision only serialises.
  for (const day of [...days].sort((a, b) => a - b)) {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('rollup:' || $1::text), $2::int)", [
      tenantId,
      Math.floor(day / DAY_MS),
    ]);
  }
}

/** Recomputes the given hours of one tenant (hourly rows, then the daily rows of their days). */
export async function recomputeTenantHours(
  pool: Pool,
  tenantId: string,
  hours: number[],
  opts: { forceDaily?: boolean } = {},
): Promise<Omit<RollupResult, "mode" | "tenants">> {
  const out = {
    hours: 0,
    days: 0,
    rowsRead: 0,
    hourlyUpserted: 0,
    hourlyDeleted: 0,
    dailyUpserted: 0,
    dailyDeleted: 0,
    hoursKeptAfterRetention: 0,
  };
  const byDay = new Map<number, number[]>();
  for (const h of hours) {
    const day = h - (h % DAY_MS);
    const list = byDay.get(day);
    if (list) list.push(h);
    else byDay.set(day, [h]);
  }
  const days = [...byDay.keys()].sort((a, b) => a - b);
  for (let i = 0; i < days.length; i += DAYS_PER_TRANSACTION) {
    const chunkDays = days.slice(i, i + DAYS_PER_TRANSACTION);
    const chunkHours = chunkDays.flatMap((d) => byDay.get(d) ?? []).sort((a, b) => a - b);
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      // These statements are planned fresh each time and run in well under a second: JIT compilation
      // would cost more than it saves, and sorts of a month's buckets fit in memory. The planner sees CTEs
      // as one row and picks nested loops that go quadratic on a busy hour; every join here is a bulk
      // set operation that hash joins serve well.
      await client.query("SET LOCAL jit = off");
      await client.query("SET LOCAL work_mem = '64MB'");
      await client.query("SET LOCAL enable_nestloop = off");
      await lockDays(client, tenantId, chunkDays);
      const hourIso = chunkHours.map((h) => new Date(h).toISOString());
      const hourly = await client.query<StatementResult>(HOURLY_SQL, [
        tenantId,
        hourIso,
        new Date(chunkHours[0]!),
        new Date(chunkHours[chunkHours.length - 1]! + HOUR_MS),
      ]);
      const h = hourly.rows[0]!;
      const dayIso = chunkDays.map((d) => new Date(d).toISOString());
      // Daily rows are a pure function of hourly rows, which this same transaction keeps in step: when no
      // hourly row changed, the daily rows are already right.
      const hourlyChanged = h.upserted > 0 || h.deleted > 0 || opts.forceDaily === true;
      const daily = !hourlyChanged
        ? { rows: [{ upserted: 0, deleted: 0, changed_dims: null, rows_read: "0", kept: 0 }] }
        : await client.query<StatementResult>(DAILY_SQL, [
            tenantId,
            dayIso,
            new Date(chunkDays[0]!),
            new Date(chunkDays[chunkDays.length - 1]! + DAY_MS),
            // Reconcile rebuilds every daily bucket of its days, and so does a large change (a first run,
            // a backfill) where filtering would cost more than it saves; the minute job only the changed ones.
            opts.forceDaily || h.changed_dims === null ? null : JSON.stringify(h.changed_dims),
          ]);
      await client.query("COMMIT");
      const d = daily.rows[0]!;
      out.hours += chunkHours.length;
      out.days += chunkDays.length;
      out.rowsRead += Number(h.rows_read);
      out.hourlyUpserted += h.upserted;
      out.hourlyDeleted += h.deleted;
      out.dailyUpserted += d.upserted;
      out.dailyDeleted += d.deleted;
      out.hoursKeptAfterRetention += h.kept;
    } catch (err) {
      await client.query("ROLLBACK");
      throw err;
    } finally {
      client.release();
    }
  }
  return out;
}

export async function runRollup(pool: Pool, opts: RollupOptions): Promise<RollupResult> {
  const mode = opts.mode ?? "incremental";
  const stateName = opts.stateName ?? ROLLUP_STATE_NAME;
  const lagMs = opts.lagMs ?? DEFAULT_LAG_MS;
  let touched: Touched;
  if (mode === "incremental") {
    const watermark = await readWatermark(pool, stateName);
    // No watermark yet: the first run folds in everything there is.
    const since = new Date((watermark?.getTime() ?? 0) - lagMs);
    touched = await findTouchedIncremental(pool, since, opts.tenantId);
  } else {
    const since = new Date(opts.now.getTime() - (opts.reconcileHours ?? DEFAULT_RECONCILE_HOURS) * HOUR_MS);
    touched = await findTouchedReconcile(pool, since, opts.tenantId);
  }
  const marks = await readDirtyMarks(pool, opts.tenantId);
  for (const m of marks) addTouched(touched, m.tenantId, m.hour);

  const result: RollupResult = {
    mode,
    tenants: touched.size,
    hours: 0,
    days: 0,
    rowsRead: 0,
    hourlyUpserted: 0,
    hourlyDeleted: 0,
    dailyUpserted: 0,
    dailyDeleted: 0,
    hoursKeptAfterRetention: 0,
  };
  let tenantsDone = 0;
  for (const [tenantId, hourSet] of touched) {
    const r = await recomputeTenantHours(pool, tenantId, [...hourSet], { forceDaily: mode === "reconcile" });
    for (const k of [
      "hours",
      "days",
      "rowsRead",
      "hourlyUpserted",
      "hourlyDeleted",
      "dailyUpserted",
      "dailyDeleted",
      "hoursKeptAfterRetention",
    ] as const) {
      result[k] += r[k];
    }
    tenantsDone += 1;
    opts.onProgress?.({ tenantsDone, tenants: touched.size, hours: result.hours, rows: result.rowsRead });
  }

  if (marks.length > 0) {
    // Only marks as they were when read: one set again meanwhile (newer updated_at) waits for the next run.
    await pool.query(
      `DELETE FROM rollup_state s USING unnest($1::text[], $2::timestamptz[]) AS m(name, updated_at)
       WHERE s.name = m.name AND s.updated_at <= m.updated_at`,
      [marks.map((m) => m.name), marks.map((m) => m.updatedAt)],
    );
  }

  if (mode === "incremental") {
    // The watermark is the start of this run: anything committed after the scan above has created_at past
    // `now - lag` (within the lag guarantee), so the next run finds it. greatest() keeps a slower,
    // older run from moving it back.
    await pool.query(
      `INSERT INTO rollup_state (name, watermark, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET watermark = greatest(rollup_state.watermark, EXCLUDED.watermark), updated_at = now()`,
      [stateName, opts.now],
    );
  }
  return result;
}
