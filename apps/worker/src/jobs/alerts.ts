// Evaluates alert rules against rollups and records one AlertEvent per (rule, subject, period). The event's
// unique dedupeKey is what stops double alerts: evaluating every minute, on any number of workers, inserts
// the event once; delivery (jobs/alert-delivery.ts) then happens per event.
import type { PrismaClient } from "@gateway/db";
import { budgetBurnDown, costOverTime, latencyByRoute, microsToUsd, reliability } from "@gateway/db/reports";
import { z } from "zod";

const HOUR_MS = 3_600_000;

const windowed = {
  windowMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  routeName: z.string().min(1).optional(),
  /** Below this many requests in the window a rate is noise, not a signal. */
  minRequests: z.number().int().min(1).default(10),
};

export const alertParamsSchemas = {
  budget_soft_threshold: z.object({ budgetId: z.string().min(1).optional() }),
  budget_exhausted: z.object({ budgetId: z.string().min(1).optional() }),
  spend_spike: z.object({
    /** Fires when the window's spend exceeds `threshold` × the average spend of a window over the baseline. */
    threshold: z.number().positive().default(3),
    windowMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60),
    baselineHours: z
      .number()
      .int()
      .min(1)
      .max(90 * 24)
      .default(7 * 24),
    /** Ignore spikes smaller than this (micro-dollars), so a quiet tenant's first dollar is not a spike. */
    minSpendMicros: z.number().int().min(0).default(1_000_000),
  }),
  error_rate: z.object({ threshold: z.number().min(0).max(1), ...windowed }),
  fallback_rate: z.object({ threshold: z.number().min(0).max(1), ...windowed }),
  p95_latency: z.object({ threshold: z.number().int().positive(), ...windowed }),
} as const;
export type AlertKindName = keyof typeof alertParamsSchemas;

export interface AlertPayload {
  message: string;
  subject: string;
  value: number | string;
  threshold: number | string;
  periodStart: string;
  periodEnd: string | null;
  details?: Record<string, unknown>;
}

interface Candidate {
  dedupeKey: string;
  payload: AlertPayload;
}

interface RuleRow {
  id: string;
  tenantId: string;
  name: string;
  kind: AlertKindName;
  params: unknown;
  webhookUrl: string | null;
}

function floorHour(d: Date): Date {
  return new Date(Math.floor(d.getTime() / HOUR_MS) * HOUR_MS);
}

/**
 * The hourly buckets overlapping [now - window, now], the current partial hour included. Rollups are hourly,
 * so a window may reach up to an hour further back than asked; it never sees less than asked.
 */
function windowRange(now: Date, windowMinutes: number): { from: Date; to: Date } {
  return {
    from: floorHour(new Date(now.getTime() - windowMinutes * 60_000)),
    to: new Date(floorHour(now).getTime() + HOUR_MS),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const usd = (m: bigint) => `$${(microsToUsd(m) ?? 0).toFixed(2)}`;

async function budgetCandidates(
  db: PrismaClient,
  rule: RuleRow,
  now: Date,
  budgetId: string | undefined,
  exhausted: boolean,
): Promise<Candidate[]> {
  const budgets = await db.budget.findMany({
    where: { tenantId: rule.tenantId, ...(budgetId ? { id: budgetId } : {}) },
    select: { id: true },
  });
  const out: Candidate[] = [];
  for (const { id } of budgets) {
    const bd = await budgetBurnDown(db, { tenantId: rule.tenantId, budgetId: id, now });
    if (!bd) continue;
    const reached = exhausted
      ? bd.spentMicros >= bd.limitMicros
      : bd.spentMicros * 100n >= bd.limitMicros * BigInt(bd.softThresholdPct);
    if (!reached) continue;
    const what = exhausted ? "is spent" : `passed ${bd.softThresholdPct}%`;
    out.push({
      dedupeKey: `${rule.id}:budget:${id}:${bd.periodStart.toISOString()}`,
      payload: {
        message:
          `Budget "${bd.name}" ${what}: ${usd(bd.spentMicros)} of ${usd(bd.limitMicros)} this ${bd.period}` +
          (bd.forecastMicros !== null ? `, forecast ${usd(bd.forecastMicros)} by period end` : ""),
        subject: bd.name,
        value: bd.spentMicros.toString(),
        threshold: exhausted
          ? bd.limitMicros.toString()
          : ((bd.limitMicros * BigInt(bd.softThresholdPct)) / 100n).toString(),
        periodStart: bd.periodStart.toISOString(),
        periodEnd: bd.periodEnd?.toISOString() ?? null,
        details: {
          budgetId: id,
          limitMicros: bd.limitMicros.toString(),
          forecastMicros: bd.forecastMicros?.toString() ?? null,
        },
      },
    });
  }
  return out;
}

async function rateCandidates(
  db: PrismaClient,
  rule: RuleRow,
  now: Date,
  kind: "error_rate" | "fallback_rate",
): Promise<Candidate[]> {
  const p = alertParamsSchemas[kind].parse(rule.params);
  const range = windowRange(now, p.windowMinutes);
  const rows = await reliability(db, { tenantId: rule.tenantId, ...range, groupBy: p.routeName ? "route" : null });
  const row = p.routeName ? rows.find((r) => r.group === p.routeName) : rows[0];
  if (!row || row.requests < p.minRequests) return [];
  const value = kind === "error_rate" ? row.errorRate : row.fallbackRate;
  if (value === null || value <= p.threshold) return [];
  const subject = p.routeName ?? "all routes";
  const label = kind === "error_rate" ? "Error rate" : "Fallback rate";
  return [
    {
      dedupeKey: `${rule.id}:${subject}:${floorHour(now).toISOString()}`,
      payload: {
        message: `${label} on ${subject} is ${pct(value)} over the last ${p.windowMinutes} min (threshold ${pct(p.threshold)}, ${row.requests} requests)`,
        subject,
        value,
        threshold: p.threshold,
        periodStart: range.from.toISOString(),
        periodEnd: range.to.toISOString(),
        details: {
          requests: row.requests,
          errors: row.errors,
          fallbacks: row.fallbacks,
          errorsByClass: row.errorsByClass,
        },
      },
    },
  ];
}

async function latencyCandidates(db: PrismaClient, rule: RuleRow, now: Date): Promise<Candidate[]> {
  const p = alertParamsSchemas.p95_latency.parse(rule.params);
  const range = windowRange(now, p.windowMinutes);
  const rows = await latencyByRoute(db, { tenantId: rule.tenantId, ...range, routeName: p.routeName });
  return rows
    .filter((r) => r.requests >= p.minRequests && r.p95Ms !== null && r.p95Ms > p.threshold)
    .map((r) => ({
      dedupeKey: `${rule.id}:${r.routeName}:${floorHour(now).toISOString()}`,
      payload: {
        message: `p95 latency on ${r.routeName || "(no route)"} is ${r.p95Ms} ms over the last ${p.windowMinutes} min (target ${p.threshold} ms)`,
        subject: r.routeName,
        value: r.p95Ms ?? 0,
        threshold: p.threshold,
        periodStart: range.from.toISOString(),
        periodEnd: range.to.toISOString(),
        details: { requests: r.requests, p50Ms: r.p50Ms, p99Ms: r.p99Ms },
      },
    }));
}

async function spikeCandidates(db: PrismaClient, rule: RuleRow, now: Date): Promise<Candidate[]> {
  const p = alertParamsSchemas.spend_spike.parse(rule.params);
  const range = windowRange(now, p.windowMinutes);
  const windowHours = (range.to.getTime() - range.from.getTime()) / HOUR_MS;
  const baselineFrom = new Date(range.from.getTime() - p.baselineHours * HOUR_MS);
  const points = await costOverTime(db, {
    tenantId: rule.tenantId,
    from: baselineFrom,
    to: range.to,
    granularity: "hour",
    groupBy: null,
  });
  let windowSpend = 0n;
  let baselineSpend = 0n;
  for (const pt of points) {
    if (pt.bucketStart >= range.from) windowSpend += pt.costMicros;
    else baselineSpend += pt.costMicros;
  }
  const baselinePerWindow = Number(baselineSpend) * (windowHours / p.baselineHours);
  if (Number(windowSpend) < p.minSpendMicros || Number(windowSpend) <= p.threshold * baselinePerWindow) return [];
  return [
    {
      dedupeKey: `${rule.id}:spend:${floorHour(now).toISOString()}`,
      payload: {
        message: `Spend spike: ${usd(windowSpend)} in the last ${p.windowMinutes} min against a usual ${usd(BigInt(Math.round(baselinePerWindow)))} (threshold ${p.threshold}×)`,
        subject: "spend",
        value: windowSpend.toString(),
        threshold: p.threshold,
        periodStart: range.from.toISOString(),
        periodEnd: range.to.toISOString(),
        details: { baselinePerWindowMicros: Math.round(baselinePerWindow), baselineHours: p.baselineHours },
      },
    },
  ];
}

async function candidatesFor(db: PrismaClient, rule: RuleRow, now: Date): Promise<Candidate[]> {
  switch (rule.kind) {
    case "budget_soft_threshold":
      return budgetCandidates(
        db,
        rule,
        now,
        alertParamsSchemas.budget_soft_threshold.parse(rule.params).budgetId,
        false,
      );
    case "budget_exhausted":
      return budgetCandidates(db, rule, now, alertParamsSchemas.budget_exhausted.parse(rule.params).budgetId, true);
    case "error_rate":
    case "fallback_rate":
      return rateCandidates(db, rule, now, rule.kind);
    case "p95_latency":
      return latencyCandidates(db, rule, now);
    case "spend_spike":
      return spikeCandidates(db, rule, now);
  }
}

export interface EvaluateResult {
  rules: number;
  /** Events created by this evaluation (pending ones need delivery). */
  created: { id: string; status: "pending" | "no_webhook" }[];
  /** Rules skipped because their params do not parse; named so an operator can fix them. */
  invalidRules: { ruleId: string; error: string }[];
}

export async function evaluateAlerts(
  db: PrismaClient,
  opts: { now: Date; tenantId?: string },
): Promise<EvaluateResult> {
  const rules = (await db.alertRule.findMany({
    where: { enabled: true, ...(opts.tenantId ? { tenantId: opts.tenantId } : {}) },
    select: { id: true, tenantId: true, name: true, kind: true, params: true, webhookUrl: true },
    orderBy: { id: "asc" },
  })) as RuleRow[];
  const result: EvaluateResult = { rules: rules.length, created: [], invalidRules: [] };
  for (const rule of rules) {
    let candidates: Candidate[];
    try {
      candidates = await candidatesFor(db, rule, opts.now);
    } catch (err) {
      // One rule with bad params must not silence every other rule; it is reported, not hidden.
      if (err instanceof z.ZodError) {
        result.invalidRules.push({
          ruleId: rule.id,
          error: err.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; "),
        });
        continue;
      }
      throw err;
    }
    const status = rule.webhookUrl ? "pending" : "no_webhook";
    for (const c of candidates) {
      const inserted = await db.$queryRawUnsafe<{ id: string }[]>(
        `INSERT INTO alert_events (id, tenant_id, rule_id, kind, dedupe_key, payload, status)
         VALUES ('ae_' || replace(gen_random_uuid()::text, '-', ''), $1, $2, $3::"AlertKind", $4, $5::jsonb, $6)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
        rule.tenantId,
        rule.id,
        rule.kind,
        c.dedupeKey,
        JSON.stringify({ ruleName: rule.name, ...c.payload }),
        status,
      );
      if (inserted[0]) result.created.push({ id: inserted[0].id, status });
    }
  }
  return result;
}

/** Pending events of the last day, for re-enqueueing deliveries a crash may have left unqueued. */
export async function pendingEventIds(db: PrismaClient, now: Date, tenantId?: string): Promise<string[]> {
  const rows = await db.alertEvent.findMany({
    where: {
      status: "pending",
      createdAt: { gte: new Date(now.getTime() - 24 * HOUR_MS) },
      ...(tenantId ? { tenantId } : {}),
    },
    select: { id: true },
    orderBy: { createdAt: "asc" },
  });
  return rows.map((r) => r.id);
}
