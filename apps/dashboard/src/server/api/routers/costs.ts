// Finance and reliability reports. Everything here reads the rollup tables (hourly for ranges up to a few
// days, daily beyond), never raw request logs.
import { z } from "zod";
import type { PrismaClient } from "@gateway/db";
import {
  cacheAndGuardrails,
  costPerSuccess,
  latencyByRoute,
  reliability,
  toCsv,
  topSpenders,
} from "@gateway/db/reports";
import { budgetBurn } from "../../spend.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

export const rangeSchema = z.object({
  from: z.coerce.date(),
  to: z.coerce.date(),
  appId: z.string().optional(),
  environment: z.string().optional(),
});
type Range = z.infer<typeof rangeSchema>;

type Dimension = "appId" | "routeName" | "model" | "apiKeyId" | "environment";

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
    _sum: {
      requests: true,
      successes: true,
      errors: true,
      fallbacks: true,
      retries: true,
      costMicros: true,
      successCostMicros: true,
      inputTokens: true,
      outputTokens: true,
      feedbackAccepted: true,
      cacheHits: true,
      guardrailHits: true,
      costSavedMicros: true,
    },
  } as const;
  // The two tables share a shape; the hourly one answers short ranges exactly.
  const rows = useHourly(r) ? await db.rollupHourly.groupBy(args) : await db.rollupDaily.groupBy(args);
  return rows as unknown as Array<
    Record<Dimension, string> & {
      _sum: {
        requests: number | null;
        successes: number | null;
        errors: number | null;
        fallbacks: number | null;
        retries: number | null;
        costMicros: bigint | null;
        successCostMicros: bigint | null;
        inputTokens: bigint | null;
        outputTokens: bigint | null;
        feedbackAccepted: number | null;
        cacheHits: number | null;
        guardrailHits: number | null;
        costSavedMicros: bigint | null;
      };
    }
  >;
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

/** Requests, errors and fallbacks per bucket, for the rates-over-time chart. */
async function bucketRates(db: PrismaClient, tenantId: string, r: Range) {
  const args = {
    by: ["bucketStart"] as Array<"bucketStart">,
    where: rollupWhere(tenantId, r),
    _sum: { requests: true as const, errors: true as const, fallbacks: true as const },
    orderBy: { bucketStart: "asc" as const },
  };
  return useHourly(r) ? db.rollupHourly.groupBy(args) : db.rollupDaily.groupBy(args);
}

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
      const rows = (hourly
        ? await ctx.db.rollupHourly.groupBy(args)
        : await ctx.db.rollupDaily.groupBy(args)) as unknown as Array<
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

  /**
   * Cache savings (cost saved and hit rate per bucket) and guardrail hits per bucket by route. Hit rates are
   * of all requests, so a route without caching lowers the rate: that is what the tenant actually saved.
   */
  cacheGuardrails: scoped("costs:read")
    .input(rangeSchema)
    .query(async ({ ctx, input }) => {
      const granularity = useHourly(input) ? ("hour" as const) : ("day" as const);
      const rows = await cacheAndGuardrails(ctx.db, {
        tenantId: ctx.tenantId,
        from: input.from,
        to: input.to,
        granularity,
        groupBy: "route",
      });
      const buckets = new Map<string, { t: string; requests: number; cacheHits: number; savedMicros: bigint }>();
      const guardByRoute = new Map<string, number>();
      const guardPoints = new Map<string, Record<string, number | string>>();
      for (const r of rows) {
        const t = r.bucketStart.toISOString();
        const b = buckets.get(t) ?? { t, requests: 0, cacheHits: 0, savedMicros: 0n };
        b.requests += r.requests;
        b.cacheHits += r.cacheHits;
        b.savedMicros += r.costSavedMicros;
        buckets.set(t, b);
        if (r.guardrailHits > 0) {
          const route = r.group || "(direct)";
          guardByRoute.set(route, (guardByRoute.get(route) ?? 0) + r.guardrailHits);
          const g = guardPoints.get(t) ?? { t };
          g[route] = ((g[route] as number | undefined) ?? 0) + r.guardrailHits;
          guardPoints.set(t, g);
        }
      }
      // The six routes with most hits get their own series; the rest are summed as "other".
      const ranked = [...guardByRoute.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      const top = new Set(ranked.slice(0, 6).map(([k]) => k));
      const guardrailSeries = [...top, ...(ranked.length > top.size ? ["other"] : [])];
      const guardrailPoints = [...guardPoints.values()].map((p) => {
        const out: Record<string, number | string> = { t: p.t! };
        for (const s of guardrailSeries) out[s] = 0;
        for (const [k, v] of Object.entries(p)) {
          if (k === "t") continue;
          const s = top.has(k) ? k : "other";
          out[s] = (out[s] as number) + (v as number);
        }
        return out;
      });
      const savings = [...buckets.values()].map((b) => ({
        t: b.t,
        savedUsd: Number(b.savedMicros) / 1e6,
        hitRate: b.requests ? b.cacheHits / b.requests : 0,
      }));
      const totals = [...buckets.values()].reduce(
        (a, b) => ({
          requests: a.requests + b.requests,
          cacheHits: a.cacheHits + b.cacheHits,
          savedMicros: a.savedMicros + b.savedMicros,
        }),
        { requests: 0, cacheHits: 0, savedMicros: 0n },
      );
      const guardrailHits = ranked.reduce((a, [, n]) => a + n, 0);
      return {
        granularity,
        savings,
        guardrailSeries,
        guardrailPoints,
        guardrailByRoute: ranked.map(([routeName, hits]) => ({ routeName, hits })),
        totals: {
          requests: totals.requests,
          cacheHits: totals.cacheHits,
          cacheHitRate: totals.requests ? totals.cacheHits / totals.requests : null,
          costSavedMicros: totals.savedMicros,
          guardrailHits,
        },
      };
    }),

  perSuccess: scoped("costs:read")
    .input(rangeSchema)
    .query(async ({ ctx, input }) => {
      const rows = await costPerSuccess(ctx.db, { tenantId: ctx.tenantId, from: input.from, to: input.to });
      return rows.map((r) => ({
        routeName: r.routeName || "(direct)",
        model: r.model || "(none)",
        requests: r.requests,
        successes: r.successes,
        costMicros: r.costMicros,
        perSuccessMicros: r.costPerSuccessMicros === null ? null : Number(r.costPerSuccessMicros),
        perAcceptedMicros: r.costPerAcceptedMicros === null ? null : Number(r.costPerAcceptedMicros),
      }));
    }),

  topSpenders: scoped("costs:read")
    .input(
      rangeSchema.extend({
        by: z.enum(["apiKeyId", "appId", "routeName", "model"]).default("apiKeyId"),
        limit: z.number().int().min(1).max(50).default(10),
      }),
    )
    .query(async ({ ctx, input }) => {
      const by = ({ apiKeyId: "key", appId: "app", routeName: "route", model: "model" } as const)[input.by];
      const rows = await topSpenders(ctx.db, {
        tenantId: ctx.tenantId,
        from: input.from,
        to: input.to,
        by,
        limit: input.limit,
      });
      const l = await labels(ctx.db, ctx.tenantId);
      return rows.map((r) => ({
        id: r.group,
        label: label(l, input.by, r.group),
        costMicros: r.costMicros,
        requests: r.requests,
        sharePct: r.sharePct,
      }));
    }),

  burnDown: scoped("costs:read").query(async ({ ctx }) => {
    const budgets = await ctx.db.budget.findMany({ where: { tenantId: ctx.tenantId }, orderBy: { name: "asc" } });
    return Promise.all(
      budgets.map(async (b) => ({
        id: b.id,
        name: b.name,
        period: b.period,
        limitMicros: b.limitMicros,
        action: b.action,
        burn: await budgetBurn(ctx.db, ctx.tenantId, b.id),
      })),
    );
  }),

  exportCsv: scoped("costs:export")
    .input(rangeSchema)
    .query(async ({ ctx, input }) => {
      const rows = await sums(ctx.db, ctx.tenantId, { ...input }, ["appId", "environment", "routeName", "model"]);
      const l = await labels(ctx.db, ctx.tenantId);
      // One row per app × environment × route × model; toCsv adds a *Usd column beside every *Micros one.
      return toCsv(
        rows.map((r) => ({
          app: label(l, "appId", r.appId),
          environment: r.environment,
          route: r.routeName,
          model: r.model,
          requests: r._sum.requests ?? 0,
          successes: r._sum.successes ?? 0,
          errors: r._sum.errors ?? 0,
          fallbacks: r._sum.fallbacks ?? 0,
          inputTokens: r._sum.inputTokens ?? 0n,
          outputTokens: r._sum.outputTokens ?? 0n,
          costMicros: r._sum.costMicros ?? 0n,
          costPerSuccessMicros:
            (r._sum.successes ?? 0) > 0 ? (r._sum.costMicros ?? 0n) / BigInt(r._sum.successes ?? 1) : null,
          cacheHits: r._sum.cacheHits ?? 0,
          costSavedMicros: r._sum.costSavedMicros ?? 0n,
          guardrailHits: r._sum.guardrailHits ?? 0,
        })),
        [
          "app",
          "environment",
          "route",
          "model",
          "requests",
          "successes",
          "errors",
          "fallbacks",
          "inputTokens",
          "outputTokens",
          "costMicros",
          "costPerSuccessMicros",
          // Appended, so spreadsheets built on the earlier columns keep working.
          "cacheHits",
          "costSavedMicros",
          "guardrailHits",
        ],
      );
    }),

  reliability: scoped("logs:read")
    .input(rangeSchema)
    .query(async ({ ctx, input }) => {
      const range = { tenantId: ctx.tenantId, from: input.from, to: input.to };
      const [latency, rates, buckets] = await Promise.all([
        latencyByRoute(ctx.db, range),
        reliability(ctx.db, { ...range, groupBy: "route" }),
        bucketRates(ctx.db, ctx.tenantId, input),
      ]);
      const routes = rates.map((r) => {
        const lat = latency.find((x) => x.routeName === r.group);
        return {
          routeName: r.group || "(direct)",
          requests: r.requests,
          p50Ms: lat?.p50Ms ?? null,
          p95Ms: lat?.p95Ms ?? null,
          errorRate: r.errorRate ?? 0,
          fallbackRate: r.fallbackRate ?? 0,
          errorsByClass: r.errorsByClass,
        };
      });
      const series = buckets.map((b) => {
        const n = b._sum.requests ?? 0;
        return {
          t: b.bucketStart.toISOString(),
          requests: n,
          errorRate: n ? (b._sum.errors ?? 0) / n : 0,
          fallbackRate: n ? (b._sum.fallbacks ?? 0) / n : 0,
        };
      });
      return { routes, series };
    }),
});
