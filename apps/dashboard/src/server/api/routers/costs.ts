// Finance and reliability reports. Everything here reads the rollup tables (hourly for ranges up to a few
// days, daily beyond), never raw request logs.
import { z } from "zod";
import type { PrismaClient } from "@gateway/db";
import { histogramPercentile, mergeHistograms, type Histogram } from "@gateway/db/latency-histogram";
import { budgetBurn } from "../../spend.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

export const rangeSchema = z.object({
  from: z.coerce.date(),
  to: z.coerce.date(),
  appId: z.string().optional(),
  environment: z.string().optional(),
});
type Range = z.infer<typeof rangeSchema>;

const DIMENSIONS = ["appId", "routeName", "model", "apiKeyId", "environment"] as const;
type Dimension = (typeof DIMENSIONS)[number];

function useHourly(r: Range) {
  return r.to.getTime() - r.from.getTime() <= 3 * 86_400_000;
}

function rollupWhere(tenantId: string, r: Range) {
  return {
    tenantId,
    bucketStart: { gte: r.from, lt: r.to },
    ...(r.appId ? { appId: r.appId } : {}),
    ...(r.environment ? { environment: r.environment } : {}),
  };
}

async function sums(db: PrismaClient, tenantId: string, r: Range, by: Dimension[]) {
  const args = {
    by,
    where: rollupWhere(tenantId, r),
    _sum: { requests: true, successes: true, errors: true, fallbacks: true, retries: true, costMicros: true, successCostMicros: true, inputTokens: true, outputTokens: true, feedbackAccepted: true },
  } as const;
  // The two tables share a shape; the hourly one answers short ranges exactly.
  const rows = useHourly(r) ? await db.rollupHourly.groupBy(args) : await db.rollupDaily.groupBy(args);
  return rows as unknown as Array<Record<Dimension, string> & { _sum: { requests: number | null; successes: number | null; errors: number | null; fallbacks: number | null; retries: number | null; costMicros: bigint | null; successCostMicros: bigint | null; inputTokens: bigint | null; outputTokens: bigint | null; feedbackAccepted: number | null } }>;
}

async function labels(db: PrismaClient, tenantId: string) {
  const [apps, keys] = await Promise.all([
    db.app.findMany({ where: { tenantId }, select: { id: true, name: true } }),
    db.apiKey.findMany({ where: { tenantId }, select: { id: true, name: true, prefix: true } }),
  ]);
  return {
    app: new Map(apps.map((a) => [a.id, a.name])),
    key: new Map(keys.map((k) => [k.id, `${k.name} (${k.prefix}…)`])),
  };
}

function label(l: Awaited<ReturnType<typeof labels>>, dim: Dimension, value: string) {
  if (!value) return "(none)";
  if (dim === "appId") return l.app.get(value) ?? value;
  if (dim === "apiKeyId") return l.key.get(value) ?? value;
  return value;
}

/** cost per successful result: all spend (failures and retries included) over successes. */
const perSuccess = (cost: bigint, successes: number) => (successes > 0 ? Number(cost) / successes : null);

export const costsRouter = createTRPCRouter({
  overTime: scoped("costs:read")
    .input(rangeSchema.extend({ groupBy: z.enum(["appId", "routeName", "model"]).default("routeName") }))
    .query(async ({ ctx, input }) => {
      const hourly = useHourly(input);
      const by: Array<"bucketStart" | "appId" | "routeName" | "model"> = ["bucketStart", input.groupBy];
      const args = {
        by,
        where: rollupWhere(ctx.tenantId, input),
        _sum: { costMicros: true as const, requests: true as const },
        orderBy: { bucketStart: "asc" as const },
      };
      const rows = (hourly ? await ctx.db.rollupHourly.groupBy(args) : await ctx.db.rollupDaily.groupBy(args)) as unknown as Array<
        Record<string, string> & { bucketStart: Date; _sum: { costMicros: bigint | null; requests: number | null } }
      >;
      const l = await labels(ctx.db, ctx.tenantId);
      const totals = new Map<string, bigint>();
      for (const r of rows) {
        const k = label(l, input.groupBy, r[input.groupBy] ?? "");
        totals.set(k, (totals.get(k) ?? 0n) + (r._sum.costMicros ?? 0n));
      }
      // Top series by spend; the rest collapse into "other" so the chart stays readable.
      const series = [...totals.entries()].sort((a, b) => (b[1] > a[1] ? 1 : -1)).map(([k]) => k);
      const top = new Set(series.slice(0, 6));
      const buckets = new Map<string, Record<string, number | string>>();
      for (const r of rows) {
        const t = r.bucketStart.toISOString();
        const k0 = label(l, input.groupBy, r[input.groupBy] ?? "");
        const k = top.has(k0) ? k0 : "other";
        const b = buckets.get(t) ?? { t };
        b[k] = ((b[k] as number | undefined) ?? 0) + Number(r._sum.costMicros ?? 0n) / 1e6;
        buckets.set(t, b);
      }
      return {
        granularity: hourly ? ("hour" as const) : ("day" as const),
        series: [...top, ...(series.length > top.size ? ["other"] : [])],
        points: [...buckets.values()],
        totalMicros: [...totals.values()].reduce((a, v) => a + v, 0n),
      };
    }),

  perSuccess: scoped("costs:read")
    .input(rangeSchema)
    .query(async ({ ctx, input }) => {
      const rows = await sums(ctx.db, ctx.tenantId, input, ["routeName", "model"]);
      return rows
        .map((r) => ({
          routeName: r.routeName || "(direct)",
          model: r.model || "(none)",
          requests: r._sum.requests ?? 0,
          successes: r._sum.successes ?? 0,
          costMicros: r._sum.costMicros ?? 0n,
          perSuccessMicros: perSuccess(r._sum.costMicros ?? 0n, r._sum.successes ?? 0),
          perAcceptedMicros: perSuccess(r._sum.costMicros ?? 0n, r._sum.feedbackAccepted ?? 0),
        }))
        .sort((a, b) => (b.costMicros > a.costMicros ? 1 : -1));
    }),

  topSpenders: scoped("costs:read")
    .input(rangeSchema.extend({ by: z.enum(["apiKeyId", "appId", "routeName", "model"]).default("apiKeyId"), limit: z.number().int().min(1).max(50).default(10) }))
    .query(async ({ ctx, input }) => {
      const rows = await sums(ctx.db, ctx.tenantId, input, [input.by]);
      const l = await labels(ctx.db, ctx.tenantId);
      return rows
        .map((r) => ({ id: r[input.by], label: label(l, input.by, r[input.by]), costMicros: r._sum.costMicros ?? 0n, requests: r._sum.requests ?? 0 }))
        .sort((a, b) => (b.costMicros > a.costMicros ? 1 : -1))
        .slice(0, input.limit);
    }),

  burnDown: scoped("costs:read").query(async ({ ctx }) => {
    const tenant = await ctx.db.tenant.findUniqueOrThrow({ where: { id: ctx.tenantId }, select: { timeZone: true } });
    const budgets = await ctx.db.budget.findMany({ where: { tenantId: ctx.tenantId }, include: { route: { select: { name: true } } } });
    return Promise.all(
      budgets.map(async (b) => ({
        id: b.id,
        name: b.name,
        period: b.period,
        limitMicros: b.limitMicros,
        action: b.action,
        burn: await budgetBurn(ctx.db, ctx.tenantId, tenant.timeZone, { scope: b.scope, appId: b.appId, apiKeyId: b.apiKeyId, routeName: b.route?.name ?? null, period: b.period }),
      })),
    );
  }),

  exportCsv: scoped("costs:export")
    .input(rangeSchema)
    .query(async ({ ctx, input }) => {
      const rows = await sums(ctx.db, ctx.tenantId, { ...input }, ["appId", "environment", "routeName", "model"]);
      const l = await labels(ctx.db, ctx.tenantId);
      const header = ["app", "environment", "route", "model", "requests", "successes", "errors", "fallbacks", "input_tokens", "output_tokens", "cost_usd", "cost_per_success_usd"];
      const esc = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
      const usd = (m: bigint | number | null) => (m === null ? "" : (Number(m) / 1e6).toFixed(6));
      const lines = rows.map((r) =>
        [
          label(l, "appId", r.appId),
          r.environment,
          r.routeName,
          r.model,
          String(r._sum.requests ?? 0),
          String(r._sum.successes ?? 0),
          String(r._sum.errors ?? 0),
          String(r._sum.fallbacks ?? 0),
          String(r._sum.inputTokens ?? 0n),
          String(r._sum.outputTokens ?? 0n),
          usd(r._sum.costMicros ?? 0n),
          usd(perSuccess(r._sum.costMicros ?? 0n, r._sum.successes ?? 0)),
        ].map(esc).join(","),
      );
      return [header.join(","), ...lines].join("\n") + "\n";
    }),

  reliability: scoped("logs:read")
    .input(rangeSchema)
    .query(async ({ ctx, input }) => {
      const where = rollupWhere(ctx.tenantId, input);
      const select = { routeName: true, bucketStart: true, requests: true, errors: true, fallbacks: true, latencyHist: true, errorsByClass: true } as const;
      const rows = useHourly(input)
        ? await ctx.db.rollupHourly.findMany({ where, select })
        : await ctx.db.rollupDaily.findMany({ where, select });
      const byRoute = new Map<string, { requests: number; errors: number; fallbacks: number; hists: Histogram[]; errorsByClass: Record<string, number> }>();
      const byBucket = new Map<string, { requests: number; errors: number; fallbacks: number }>();
      for (const r of rows) {
        const k = r.routeName || "(direct)";
        const agg = byRoute.get(k) ?? { requests: 0, errors: 0, fallbacks: 0, hists: [], errorsByClass: {} };
        agg.requests += r.requests;
        agg.errors += r.errors;
        agg.fallbacks += r.fallbacks;
        agg.hists.push(r.latencyHist as Histogram);
        for (const [cls, n] of Object.entries((r.errorsByClass ?? {}) as Record<string, number>)) agg.errorsByClass[cls] = (agg.errorsByClass[cls] ?? 0) + n;
        byRoute.set(k, agg);
        const t = r.bucketStart.toISOString();
        const b = byBucket.get(t) ?? { requests: 0, errors: 0, fallbacks: 0 };
        b.requests += r.requests;
        b.errors += r.errors;
        b.fallbacks += r.fallbacks;
        byBucket.set(t, b);
      }
      const routes = [...byRoute.entries()].map(([routeName, a]) => {
        const hist = mergeHistograms(a.hists);
        return {
          routeName,
          requests: a.requests,
          p50Ms: histogramPercentile(hist, 0.5),
          p95Ms: histogramPercentile(hist, 0.95),
          errorRate: a.requests ? a.errors / a.requests : 0,
          fallbackRate: a.requests ? a.fallbacks / a.requests : 0,
          errorsByClass: a.errorsByClass,
        };
      });
      const series = [...byBucket.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([t, b]) => ({ t, errorRate: b.requests ? b.errors / b.requests : 0, fallbackRate: b.requests ? b.fallbacks / b.requests : 0, requests: b.requests }));
      return { routes: routes.sort((a, b) => b.requests - a.requests), series };
    }),
});
