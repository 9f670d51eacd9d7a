// The policy simulator: runs the proxy's own pure decisions (@gateway/policy) on a pasted request and a
// chosen key, with spend from the rollups, without calling any provider.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { GatewayError } from "@gateway/policy/errors";
import { scopeCheck } from "@gateway/policy/access";
import { planRoute } from "@gateway/policy/routing";
import { previewAdmission } from "@gateway/policy/admission";
import { applicableBudgets, worstCaseCostMicros, type BudgetRule } from "@gateway/policy/budget";
import { windowSpend } from "../../spend.ts";
import { specOf } from "./routes.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

const requestSchema = z.object({
  model: z.string().min(1, "the request needs a model"),
  messages: z.array(z.object({ role: z.string(), content: z.unknown() })).optional(),
  input: z.unknown().optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  user: z.string().optional(),
});

export const simulateSchema = z.object({
  apiKeyId: z.string().min(1, "pick a key"),
  request: z.string().min(2, "paste a request body"),
  userTier: z.string().trim().optional(),
  workflow: z.string().trim().optional(),
});

/** Rough token count (≈4 characters a token) — the simulator shows it is an estimate. */
function estimateTokens(body: z.infer<typeof requestSchema>): number {
  const parts = body.messages ? body.messages.map((m) => m.content) : [body.input ?? ""];
  const chars = parts.reduce<number>((n, p) => n + (typeof p === "string" ? p.length : JSON.stringify(p).length), 0);
  return Math.max(1, Math.ceil(chars / 4));
}

function stop(error: GatewayError) {
  return { kind: "rejected" as const, status: error.httpStatus, code: error.code, message: error.message };
}

export const simulatorRouter = createTRPCRouter({
  run: scoped("simulator:use")
    .input(simulateSchema)
    .mutation(async ({ ctx, input }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(input.request);
      } catch (err) {
        throw new TRPCError({ code: "BAD_REQUEST", message: `request is not valid JSON: ${(err as Error).message}` });
      }
      const parsed = requestSchema.safeParse(raw);
      if (!parsed.success)
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: parsed.error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; "),
        });
      const body = parsed.data;
      const key = await ctx.db.apiKey.findFirst({ where: { id: input.apiKeyId, tenantId: ctx.tenantId } });
      if (!key) throw new TRPCError({ code: "NOT_FOUND", message: "key not found" });
      const now = new Date();
      const inputTokens = estimateTokens(body);
      const base = { key: { name: key.name, prefix: key.prefix }, inputTokens };

      if (key.revokedAt) return { ...base, decision: stop(new GatewayError("invalid_api_key", "this key is revoked")) };
      if (key.expiresAt && key.expiresAt <= now)
        return { ...base, decision: stop(new GatewayError("invalid_api_key", "this key has expired")) };

      const route = await ctx.db.route.findUnique({
        where: { tenantId_name: { tenantId: ctx.tenantId, name: body.model } },
      });
      const check = scopeCheck(key, { kind: route ? "route" : "model", name: body.model });
      if (!check.allowed) return { ...base, decision: stop(check.error) };

      const models = await ctx.db.model.findMany({
        where: { tenantId: ctx.tenantId },
        include: { prices: { where: { effectiveFrom: { lte: now } }, orderBy: { effectiveFrom: "desc" }, take: 1 } },
      });
      const modelByName = new Map(models.map((m) => [m.name, m]));

      let riskLevel: string | null = null;
      let routeInfo: { name: string; version: number } | null = null;
      let targets: Array<{ tier: number; model: string; alternates: string[] }>;
      let maxOutput: number | null = body.max_completion_tokens ?? body.max_tokens ?? null;
      let upgradedBy: number | null = null;
      let retryLimit: number | null = null;
      if (route) {
        const version = await ctx.db.routeVersion.findUniqueOrThrow({
          where: { routeId_version: { routeId: route.id, version: route.currentVersion } },
        });
        const spec = specOf(version);
        riskLevel = spec.riskLevel;
        retryLimit = spec.retryLimit;
        routeInfo = { name: route.name, version: version.version };
        try {
          // rng fixed at 0: the simulator shows the first deployment of each balanced tier, deterministically.
          const plan = planRoute(
            { id: route.id, name: route.name, version: version.version, spec },
            {
              inputTokens,
              userTier: input.userTier || null,
              workflow: input.workflow || null,
              requestedMaxTokens: maxOutput,
            },
            () => 0,
          );
          targets = plan.targets.map((t) => ({ tier: t.tier, model: t.model, alternates: t.alternates }));
          maxOutput = plan.maxOutputTokens;
          upgradedBy = plan.upgradedBy;
        } catch (err) {
          if (err instanceof GatewayError) return { ...base, route: routeInfo, riskLevel, decision: stop(err) };
          throw err;
        }
      } else {
        if (!modelByName.has(body.model))
          return {
            ...base,
            decision: stop(
              new GatewayError("model_not_found", `no route or model named '${body.model}'`, { param: "model" }),
            ),
          };
        targets = [{ tier: 0, model: body.model, alternates: [] }];
      }

      const costs = targets.map((t) => {
        const m = modelByName.get(t.model);
        const price = m?.prices[0];
        const out = maxOutput ?? m?.maxOutputTokens ?? 4096;
        return {
          ...t,
          provider: m ? m.providerAccountId : null,
          priced: Boolean(price),
          worstCaseMicros: price ? worstCaseCostMicros({ inputTokens, maxOutputTokens: out, price }) : null,
        };
      });
      const primary = costs[0];
      const reserveMicros = primary?.worstCaseMicros ?? 0n;

      const subject = {
        tenantId: ctx.tenantId,
        appId: key.appId,
        apiKeyId: key.id,
        routeId: route?.id ?? null,
        modelName: primary?.model ?? null,
      };
      const [rateLimits, tenant, budgetRows] = await Promise.all([
        ctx.db.rateLimit.findMany({ where: { tenantId: ctx.tenantId } }),
        ctx.db.tenant.findUniqueOrThrow({ where: { id: ctx.tenantId }, select: { timeZone: true } }),
        ctx.db.budget.findMany({ where: { tenantId: ctx.tenantId }, include: { route: { select: { name: true } } } }),
      ]);
      const rules: Array<BudgetRule & { routeName: string | null }> = budgetRows.map((b) => ({
        ...b,
        routeName: b.route?.name ?? null,
      }));
      // Settled spend from the rollups for each budget that applies; rate counters live only in the proxies'
      // Redis, so the simulator shows which limits apply rather than how much of them is used right now.
      const spent = await Promise.all(
        applicableBudgets(subject, rules).map(
          async (b) =>
            [
              b.id,
              {
                spentMicros: await windowSpend(ctx.db, {
                  tenantId: ctx.tenantId,
                  timeZone: tenant.timeZone,
                  period: b.period,
                  scope: b.scope,
                  appId: b.appId,
                  apiKeyId: b.apiKeyId,
                  routeName: b.routeName,
                  now,
                }),
                reservedMicros: 0n,
              },
            ] as const,
        ),
      );
      const preview = previewAdmission({
        subject,
        rateLimits,
        key: { rpm: key.rpm, tpm: key.tpm },
        budgets: rules,
        timeZone: tenant.timeZone,
        now,
        estimatedTokens: inputTokens + (maxOutput ?? 0),
        reserveMicros,
        counters: { budgets: Object.fromEntries(spent) },
      });
      const v = preview.verdict;
      const decision =
        v.kind === "budget_exceeded"
          ? {
              kind: "rejected" as const,
              status: 429,
              code: "budget_exceeded",
              message: `budget '${v.budget.name}' would be exceeded (resets ${v.window.resetsAt?.toISOString() ?? "never"})`,
            }
          : v.kind === "rate_limited"
            ? {
                kind: "rejected" as const,
                status: 429,
                code: "rate_limit_exceeded",
                message: `${v.limit.scope} ${v.limit.kind} limit of ${v.limit.limit}; retry after ${v.retryAfterSeconds} s`,
              }
            : {
                kind: "allowed" as const,
                downgradedTo:
                  v.kind === "downgrade"
                    ? ((
                        await ctx.db.route.findFirst({
                          where: { id: v.downgradeRouteId, tenantId: ctx.tenantId },
                          select: { name: true },
                        })
                      )?.name ?? v.downgradeRouteId)
                    : null,
              };

      return {
        ...base,
        route: routeInfo,
        riskLevel,
        retryLimit,
        upgradedBy,
        maxOutputTokens: maxOutput,
        targets: costs,
        limits: preview.limits.map((l) => l.limit),
        budgets: preview.budgets.map((s) => ({
          id: s.budget.id,
          name: s.budget.name,
          scope: s.budget.scope,
          period: s.budget.period,
          limitMicros: s.budget.limitMicros,
          spentMicros: s.spentMicros,
          action: s.budget.action,
          resetsAt: s.window.resetsAt,
        })),
        budgetDecision: {
          kind: preview.budgetDecision.kind,
          budget: "budget" in preview.budgetDecision ? preview.budgetDecision.budget.name : null,
        },
        estimatedCostMicros: reserveMicros,
        decision,
      };
    }),
});
