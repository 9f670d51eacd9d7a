// Report queries the dashboard (and the worker's alerts) run. They read rollups only, never raw request logs,
// so they stay fast however many logs there are. Money is BigInt micro-dollars; convert at the edge
// (microsToUsd, toCsv).
//
// Cost per successful result = all cost in the bucket (failed attempts, retries and failed requests
// included) / successful results. Per accepted result = the same cost / results with "accepted" feedback.
// Both are null where the divisor is zero.
import type { PrismaClient } from "./generated/prisma/client.ts";
import { sqlHistogramSummary } from "./latency-histogram.ts";

/** Anything with Prisma's raw query method: a PrismaClient or an interactive transaction client. */
export type ReportDb = Pick<PrismaClient, "$queryRawUnsafe">;

export type Granularity = "hour" | "day";
export const DIMENSIONS = ["app", "route", "model", "key", "environment", "workflow"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

const DIM_COLUMN: Record<Dimension, string> = {
  app: "app_id",
  route: "route_name",
  model: "model",
  key: "api_key_id",
  environment: "environment",
  workflow: "workflow",
};

interface Range {
  tenantId: string;
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

const DAY_MS = 86_400_000;

/** Daily rollups where the range is whole UTC days (fewer rows), hourly otherwise. */
function tableFor(range: Range, granularity?: Granularity): "rollups_hourly" | "rollups_daily" {
  if (granularity === "hour") return "rollups_hourly";
  if (granularity === "day") return "rollups_daily";
  return range.from.getTime() % DAY_MS === 0 && range.to.getTime() % DAY_MS === 0 ? "rollups_daily" : "rollups_hourly";
}

function ratio(num: bigint, den: number | bigint): bigint | null {
  const d = BigInt(den);
  return d === 0n ? null : num / d;
}

function rate(num: number, den: number): number | null {
  return den === 0 ? null : num / den;
}

export function microsToUsd(micros: bigint | null): number | null {
  return micros === null ? null : Number(micros) / 1_000_000;
}

// ───────────────────────────── cost ─────────────────────────────

export interface CostPoint {
  bucketStart: Date;
  /** The value of the groupBy dimension ('' where the log had none), or null without groupBy. */
  group: string | null;
  requests: number;
  successes: number;
  feedbackAccepted: number;
  costMicros: bigint;
  successCostMicros: bigint;
  costPerSuccessMicros: bigint | null;
  costPerAcceptedMicros: bigint | null;
}

export async function costOverTime(
  db: ReportDb,
  q: Range & { granularity: Granularity; groupBy: Dimension | null },
): Promise<CostPoint[]> {
  const table = q.granularity === "hour" ? "rollups_hourly" : "rollups_daily";
  const group = q.groupBy ? DIM_COLUMN[q.groupBy] : "NULL::text";
  const rows = await db.$queryRawUnsafe<
    {
      bucket_start: Date;
      grp: string | null;
      requests: number;
      successes: number;
      accepted: number;
      cost: bigint;
      success_cost: bigint;
    }[]
  >(
    `SELECT bucket_start, ${group} AS grp, sum(requests)::int AS requests, sum(successes)::int AS successes,
       sum(feedback_accepted)::int AS accepted, sum(cost_micros)::bigint AS cost, sum(success_cost_micros)::bigint AS success_cost
     FROM ${table} WHERE tenant_id = $1 AND bucket_start >= $2 AND bucket_start < $3
     GROUP BY 1, 2 ORDER BY 1, 2`,
    q.tenantId,
    q.from,
    q.to,
  );
  return rows.map((r) => ({
    bucketStart: r.bucket_start,
    group: r.grp,
    requests: r.requests,
    successes: r.successes,
    feedbackAccepted: r.accepted,
    costMicros: r.cost,
    successCostMicros: r.success_cost,
    costPerSuccessMicros: ratio(r.cost, r.successes),
    costPerAcceptedMicros: ratio(r.cost, r.accepted),
  }));
}

export interface CostPerSuccessRow {
  routeName: string;
  model: string;
  requests: number;
  successes: number;
  successRate: number | null;
  feedbackAccepted: number;
  costMicros: bigint;
  costPerSuccessMicros: bigint | null;
  costPerAcceptedMicros: bigint | null;
}

/** Cost per successful (and per accepted) result by route × model, dearest first. */
export async function costPerSuccess(db: ReportDb, q: Range): Promise<CostPerSuccessRow[]> {
  const rows = await db.$queryRawUnsafe<
    { route_name: string; model: string; requests: number; successes: number; accepted: number; cost: bigint }[]
  >(
    `SELECT route_name, model, sum(requests)::int AS requests, sum(successes)::int AS successes,
       sum(feedback_accepted)::int AS accepted, sum(cost_micros)::bigint AS cost
     FROM ${tableFor(q)} WHERE tenant_id = $1 AND bucket_start >= $2 AND bucket_start < $3
     GROUP BY 1, 2`,
    q.tenantId,
    q.from,
    q.to,
  );
  return rows
    .map((r) => ({
      routeName: r.route_name,
      model: r.model,
      requests: r.requests,
      successes: r.successes,
      successRate: rate(r.successes, r.requests),
      feedbackAccepted: r.accepted,
      costMicros: r.cost,
      costPerSuccessMicros: ratio(r.cost, r.successes),
      costPerAcceptedMicros: ratio(r.cost, r.accepted),
    }))
    .sort((a, b) => {
      const x = a.costPerSuccessMicros ?? -1n;
      const y = b.costPerSuccessMicros ?? -1n;
      return x === y ? a.routeName.localeCompare(b.routeName) || a.model.localeCompare(b.model) : y > x ? 1 : -1;
    });
}

// ───────────────────────────── latency and reliability ─────────────────────────────

export interface LatencyRow {
  routeName: string;
  requests: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
}

/** p50/p95/p99 by route from merged histograms (exact merge, not an average of percentiles). */
export async function latencyByRoute(db: ReportDb, q: Range & { routeName?: string }): Promise<LatencyRow[]> {
  const table = tableFor(q);
  const where = `tenant_id = $1 AND bucket_start >= $2 AND bucket_start < $3 AND ($4::text IS NULL OR route_name = $4)`;
  const rows = await db.$queryRawUnsafe<
    {
      route_name: string;
      requests: number;
      p50: number | null;
      p95: number | null;
      p99: number | null;
      t50: number | null;
      t95: number | null;
    }[]
  >(
    `WITH src AS (SELECT route_name, requests, latency_hist, ttft_hist FROM ${table} WHERE ${where}),
     req AS (SELECT route_name, sum(requests)::int AS requests FROM src GROUP BY 1),
     lat AS (${sqlHistogramSummary(`SELECT route_name, kv.key::int AS b, kv.value::bigint AS n FROM src, jsonb_each_text(src.latency_hist) kv`, ["route_name"])}),
     ttft AS (${sqlHistogramSummary(`SELECT route_name, kv.key::int AS b, kv.value::bigint AS n FROM src, jsonb_each_text(src.ttft_hist) kv`, ["route_name"])})
     SELECT req.route_name, req.requests, lat.p50, lat.p95, lat.p99, ttft.p50 AS t50, ttft.p95 AS t95
     FROM req LEFT JOIN lat USING (route_name) LEFT JOIN ttft USING (route_name)
     ORDER BY lat.p95 DESC NULLS LAST, req.route_name`,
    q.tenantId,
    q.from,
    q.to,
    q.routeName ?? null,
  );
  return rows.map((r) => ({
    routeName: r.route_name,
    requests: r.requests,
    p50Ms: r.p50,
    p95Ms: r.p95,
    p99Ms: r.p99,
    ttftP50Ms: r.t50,
    ttftP95Ms: r.t95,
  }));
}

export interface ReliabilityRow {
  group: string | null;
  requests: number;
  successes: number;
  errors: number;
  errorRate: number | null;
  fallbacks: number;
  fallbackRate: number | null;
  retries: number;
  cacheHits: number;
  cacheHitRate: number | null;
  /** Error code → count (the error mix). */
  errorsByClass: Record<string, number>;
}

/** Fallback rate, error rate and error mix, overall or by a dimension. */
export async function reliability(db: ReportDb, q: Range & { groupBy?: Dimension | null }): Promise<ReliabilityRow[]> {
  const group = q.groupBy ? DIM_COLUMN[q.groupBy] : "NULL::text";
  const rows = await db.$queryRawUnsafe<
    {
      grp: string | null;
      requests: number;
      successes: number;
      errors: number;
      fallbacks: number;
      retries: number;
      cache_hits: number;
      mix: Record<string, number> | null;
    }[]
  >(
    `WITH src AS (SELECT ${group} AS grp, * FROM ${tableFor(q)} WHERE tenant_id = $1 AND bucket_start >= $2 AND bucket_start < $3),
     mix AS (
       SELECT grp, jsonb_object_agg(k, n) AS mix FROM (
         SELECT grp, kv.key AS k, sum(kv.value::int)::int AS n FROM src, jsonb_each_text(src.errors_by_class) kv GROUP BY 1, 2
       ) e GROUP BY grp
     )
     SELECT s.grp, sum(requests)::int AS requests, sum(successes)::int AS successes, sum(errors)::int AS errors,
       sum(fallbacks)::int AS fallbacks, sum(retries)::int AS retries, sum(cache_hits)::int AS cache_hits,
       (SELECT m.mix FROM mix m WHERE m.grp IS NOT DISTINCT FROM s.grp) AS mix
     FROM src s GROUP BY s.grp ORDER BY sum(requests) DESC`,
    q.tenantId,
    q.from,
    q.to,
  );
  return rows.map((r) => ({
    group: r.grp,
    requests: r.requests,
    successes: r.successes,
    errors: r.errors,
    errorRate: rate(r.errors, r.requests),
    fallbacks: r.fallbacks,
    fallbackRate: rate(r.fallbacks, r.requests),
    retries: r.retries,
    cacheHits: r.cache_hits,
    cacheHitRate: rate(r.cache_hits, r.requests),
    errorsByClass: r.mix ?? {},
  }));
}

export interface SpenderRow {
  group: string;
  requests: number;
  successes: number;
  costMicros: bigint;
  costPerSuccessMicros: bigint | null;
  /** Share of the tenant's spend in the range, 0..100. */
  sharePct: number | null;
}

export async function topSpenders(db: ReportDb, q: Range & { by: Dimension; limit?: number }): Promise<SpenderRow[]> {
  const col = DIM_COLUMN[q.by];
  const rows = await db.$queryRawUnsafe<
    { grp: string; requests: number; successes: number; cost: bigint; total: bigint }[]
  >(
    `SELECT ${col} AS grp, sum(requests)::int AS requests, sum(successes)::int AS successes, sum(cost_micros)::bigint AS cost,
       (sum(sum(cost_micros)) OVER ())::bigint AS total
     FROM ${tableFor(q)} WHERE tenant_id = $1 AND bucket_start >= $2 AND bucket_start < $3
     GROUP BY 1 ORDER BY cost DESC, grp LIMIT $4`,
    q.tenantId,
    q.from,
    q.to,
    q.limit ?? 10,
  );
  return rows.map((r) => ({
    group: r.grp,
    requests: r.requests,
    successes: r.successes,
    costMicros: r.cost,
    costPerSuccessMicros: ratio(r.cost, r.successes),
    sharePct: r.total === 0n ? null : Number((r.cost * 10_000n) / r.total) / 100,
  }));
}

// ───────────────────────────── cache and guardrails ─────────────────────────────

export interface CacheGuardrailPoint {
  bucketStart: Date;
  /** The route name ('' for direct model calls) with groupBy "route", else null. */
  group: string | null;
  requests: number;
  /** Requests answered from the exact or the semantic cache. */
  cacheHits: number;
  cacheHitRate: number | null;
  /** What the cache hits would have cost upstream. */
  costSavedMicros: bigint;
  /** Requests with at least one guardrail finding (blocked, redacted or only logged). */
  guardrailHits: number;
}

/** Cache hits, their savings and guardrail hits per bucket, overall or by route. */
export async function cacheAndGuardrails(
  db: ReportDb,
  q: Range & { granularity: Granularity; groupBy?: "route" | null },
): Promise<CacheGuardrailPoint[]> {
  const table = q.granularity === "hour" ? "rollups_hourly" : "rollups_daily";
  const group = q.groupBy === "route" ? "route_name" : "NULL::text";
  const rows = await db.$queryRawUnsafe<
    {
      bucket_start: Date;
      grp: string | null;
      requests: number;
      cache_hits: number;
      saved: bigint;
      guardrail_hits: number;
    }[]
  >(
    `SELECT bucket_start, ${group} AS grp, sum(requests)::int AS requests, sum(cache_hits)::int AS cache_hits,
       sum(cost_saved_micros)::bigint AS saved, sum(guardrail_hits)::int AS guardrail_hits
     FROM ${table} WHERE tenant_id = $1 AND bucket_start >= $2 AND bucket_start < $3
     GROUP BY 1, 2 ORDER BY 1, 2`,
    q.tenantId,
    q.from,
    q.to,
  );
  return rows.map((r) => ({
    bucketStart: r.bucket_start,
    group: r.grp,
    requests: r.requests,
    cacheHits: r.cache_hits,
    cacheHitRate: rate(r.cache_hits, r.requests),
    costSavedMicros: r.saved,
    guardrailHits: r.guardrail_hits,
  }));
}

// ───────────────────────────── budgets ─────────────────────────────

export type BudgetPeriodName = "day" | "week" | "month" | "total";

function zonedParts(
  d: Date,
  timeZone: string,
): { y: number; m: number; day: number; weekday: number; h: number; min: number; s: number } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
    weekday: "short",
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  return {
    y: Number(get("year")),
    m: Number(get("month")),
    day: Number(get("day")),
    weekday: weekdays.indexOf(get("weekday")),
    h: Number(get("hour")),
    min: Number(get("minute")),
    s: Number(get("second")),
  };
}

function offsetMs(d: Date, timeZone: string): number {
  const p = zonedParts(d, timeZone);
  return Date.UTC(p.y, p.m - 1, p.day, p.h, p.min, p.s) - Math.floor(d.getTime() / 1000) * 1000;
}

/** The instant of local midnight on (y, m, day) in the zone; Date.UTC normalises overflowing days and months. */
function zonedMidnight(y: number, m: number, day: number, timeZone: string): Date {
  const guess = Date.UTC(y, m - 1, day);
  const first = guess - offsetMs(new Date(guess), timeZone);
  const second = guess - offsetMs(new Date(first), timeZone);
  return new Date(second);
}

/** The calendar period containing `now` in the tenant's zone (weeks start on Monday). */
export function budgetPeriod(now: Date, timeZone: string, period: BudgetPeriodName): { start: Date; end: Date | null } {
  if (period === "total") return { start: new Date(0), end: null };
  const p = zonedParts(now, timeZone);
  if (period === "day")
    return { start: zonedMidnight(p.y, p.m, p.day, timeZone), end: zonedMidnight(p.y, p.m, p.day + 1, timeZone) };
  if (period === "week") {
    const back = (p.weekday + 6) % 7;
    return {
      start: zonedMidnight(p.y, p.m, p.day - back, timeZone),
      end: zonedMidnight(p.y, p.m, p.day - back + 7, timeZone),
    };
  }
  return { start: zonedMidnight(p.y, p.m, 1, timeZone), end: zonedMidnight(p.y, p.m + 1, 1, timeZone) };
}

export interface BudgetScopeFilter {
  appId?: string | null;
  apiKeyId?: string | null;
  routeName?: string | null;
}

/**
 * Spend from hourly rollups in [from, to). Periods start at local midnight, which is on an hour for all but
 * a few zones (UTC+5:30 and the like), where the first half hour is counted with its hour.
 */
export async function spendMicros(db: ReportDb, q: Range & BudgetScopeFilter): Promise<bigint> {
  const rows = await db.$queryRawUnsafe<{ cost: bigint }[]>(
    `SELECT coalesce(sum(cost_micros), 0)::bigint AS cost FROM rollups_hourly
     WHERE tenant_id = $1 AND bucket_start >= date_trunc('hour', $2::timestamptz, 'UTC') AND bucket_start < $3
       AND ($4::text IS NULL OR app_id = $4) AND ($5::text IS NULL OR api_key_id = $5) AND ($6::text IS NULL OR route_name = $6)`,
    q.tenantId,
    q.from,
    q.to,
    q.appId ?? null,
    q.apiKeyId ?? null,
    q.routeName ?? null,
  );
  return rows[0]?.cost ?? 0n;
}

interface BudgetRow {
  id: string;
  tenant_id: string;
  name: string;
  scope: string;
  app_id: string | null;
  api_key_id: string | null;
  route_name: string | null;
  period: BudgetPeriodName;
  limit_micros: bigint;
  soft_threshold_pct: number;
  action: string;
  time_zone: string;
}

export interface BudgetBurnDown {
  budgetId: string;
  name: string;
  scope: string;
  period: BudgetPeriodName;
  timeZone: string;
  periodStart: Date;
  periodEnd: Date | null;
  limitMicros: bigint;
  softThresholdPct: number;
  spentMicros: bigint;
  remainingMicros: bigint;
  /** Linear projection of spend at period end (null for `total` budgets). */
  forecastMicros: bigint | null;
  forecastExceedsLimit: boolean;
  /** When the linear projection reaches the limit inside this period, else null. */
  projectedExhaustionAt: Date | null;
  /** Cumulative spend per local day (per hour for daily budgets). */
  series: { at: Date; spentMicros: bigint; cumulativeMicros: bigint; remainingMicros: bigint }[];
}

export async function loadBudget(db: ReportDb, tenantId: string, budgetId: string): Promise<BudgetRow | null> {
  const rows = await db.$queryRawUnsafe<BudgetRow[]>(
    `SELECT b.id, b.tenant_id, b.name, b.scope::text AS scope, b.app_id, b.api_key_id, r.name AS route_name,
       b.period::text AS period, b.limit_micros, b.soft_threshold_pct, b.action::text AS action, t.time_zone
     FROM budgets b JOIN tenants t ON t.id = b.tenant_id LEFT JOIN routes r ON r.id = b.route_id
     WHERE b.tenant_id = $1 AND b.id = $2`,
    tenantId,
    budgetId,
  );
  return rows[0] ?? null;
}

export async function budgetBurnDown(
  db: ReportDb,
  q: { tenantId: string; budgetId: string; now: Date },
): Promise<BudgetBurnDown | null> {
  const b = await loadBudget(db, q.tenantId, q.budgetId);
  if (!b) return null;
  const { start, end } = budgetPeriod(q.now, b.time_zone, b.period);
  const step = b.period === "day" ? "hour" : "day";
  // A route budget whose route row is gone matches nothing rather than the whole tenant.
  const series =
    b.scope === "route" && !b.route_name
      ? []
      : await db.$queryRawUnsafe<{ at: Date; cost: bigint }[]>(
          `SELECT date_trunc('${step}', bucket_start, $7) AS at, sum(cost_micros)::bigint AS cost FROM rollups_hourly
     WHERE tenant_id = $1 AND bucket_start >= date_trunc('hour', $2::timestamptz, 'UTC') AND bucket_start < $3
       AND ($4::text IS NULL OR app_id = $4) AND ($5::text IS NULL OR api_key_id = $5) AND ($6::text IS NULL OR route_name = $6)
     GROUP BY 1 ORDER BY 1`,
          q.tenantId,
          start,
          q.now,
          b.scope === "app" ? b.app_id : null,
          b.scope === "key" ? b.api_key_id : null,
          b.scope === "route" ? b.route_name : null,
          b.time_zone,
        );
  let cumulative = 0n;
  const points = series.map((s) => {
    cumulative += s.cost;
    return {
      at: s.at,
      spentMicros: s.cost,
      cumulativeMicros: cumulative,
      remainingMicros: b.limit_micros - cumulative,
    };
  });
  const spent = cumulative;
  let forecast: bigint | null = null;
  let exhaustion: Date | null = null;
  if (end) {
    const elapsed = BigInt(Math.max(q.now.getTime() - start.getTime(), 1));
    const length = BigInt(end.getTime() - start.getTime());
    forecast = (spent * length) / elapsed;
    if (spent >= b.limit_micros) exhaustion = q.now;
    else if (spent > 0n) {
      const at = new Date(start.getTime() + Number((elapsed * b.limit_micros) / spent));
      exhaustion = at < end ? at : null;
    }
  }
  return {
    budgetId: b.id,
    name: b.name,
    scope: b.scope,
    period: b.period,
    timeZone: b.time_zone,
    periodStart: start,
    periodEnd: end,
    limitMicros: b.limit_micros,
    softThresholdPct: b.soft_threshold_pct,
    spentMicros: spent,
    remainingMicros: b.limit_micros - spent,
    forecastMicros: forecast,
    forecastExceedsLimit: forecast !== null && forecast > b.limit_micros,
    projectedExhaustionAt: exhaustion,
    series: points,
  };
}

// ───────────────────────────── export ─────────────────────────────

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = v instanceof Date ? v.toISOString() : typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * RFC 4180 CSV of report rows. Columns are the keys of the first row unless given. BigInt micros are written
 * as integers; fields named *Micros also get a *Usd column so a spreadsheet needs no conversion.
 */
export function toCsv(rows: readonly object[], columns?: string[]): string {
  const first = rows[0] as Record<string, unknown> | undefined;
  const base = columns ?? (first ? Object.keys(first) : []);
  const cols: { name: string; get: (r: Record<string, unknown>) => unknown }[] = [];
  for (const c of base) {
    cols.push({ name: c, get: (r) => r[c] });
    if (c.endsWith("Micros")) {
      cols.push({
        name: `${c.slice(0, -"Micros".length)}Usd`,
        get: (r) => {
          const v = r[c];
          return typeof v === "bigint" ? (Number(v) / 1_000_000).toFixed(6) : v === null || v === undefined ? null : v;
        },
      });
    }
  }
  const lines = [cols.map((c) => csvCell(c.name)).join(",")];
  for (const r of rows) lines.push(cols.map((c) => csvCell(c.get(r as Record<string, unknown>))).join(","));
  return lines.join("\r\n") + "\r\n";
}
