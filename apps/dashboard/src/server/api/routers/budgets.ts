// Budgets and rate limits, with each budget's spend in its current window and a burn-down forecast.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { budgetSchema, rateLimitSchema } from "../../../lib/schemas/limits.ts";
import { budgetBurn } from "../../spend.ts";
import { writeAudit } from "../audit.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";
import type { Prisma } from "@gateway/db";

async function assertRefs(
  db: Prisma.TransactionClient,
  tenantId: string,
  refs: { appId?: string | null; apiKeyId?: string | null; routeId?: string | null; downgradeRouteId?: string | null },
) {
  const checks: Array<Promise<unknown>> = [];
  const miss = (what: string) => new TRPCError({ code: "NOT_FOUND", message: `${what} not found` });
  if (refs.appId)
    checks.push(
      db.app.findFirst({ where: { id: refs.appId, tenantId } }).then((r) => {
        if (!r) throw miss("app");
      }),
    );
  if (refs.apiKeyId)
    checks.push(
      db.apiKey.findFirst({ where: { id: refs.apiKeyId, tenantId } }).then((r) => {
        if (!r) throw miss("key");
      }),
    );
  for (const id of [refs.routeId, refs.downgradeRouteId]) {
    if (id)
      checks.push(
        db.route.findFirst({ where: { id, tenantId } }).then((r) => {
          if (!r) throw miss("route");
        }),
      );
  }
  await Promise.all(checks);
}

export const budgetsRouter = createTRPCRouter({
  list: scoped("budgets:read").query(async ({ ctx }) => {
    const budgets = await ctx.db.budget.findMany({
      where: { tenantId: ctx.tenantId },
      include: {
        app: { select: { name: true } },
        apiKey: { select: { name: true, prefix: true } },
        route: { select: { name: true } },
        downgradeRoute: { select: { name: true } },
      },
      orderBy: { name: "asc" },
    });
    return Promise.all(
      budgets.map(async (b) => {
        const burn = await budgetBurn(ctx.db, ctx.tenantId, b.id);
        return { ...b, burn };
      }),
    );
  }),

  create: scoped("budgets:write")
    .input(budgetSchema.and(z.object({ tenantId: z.string() })))
    .mutation(async ({ ctx, input }) => {
      const { limitDollars, tenantId: _t, ...rest } = input;
      const row = await ctx.db.$transaction(async (tx) => {
        await assertRefs(tx, ctx.tenantId, rest);
        const taken = await tx.budget.findUnique({
          where: { tenantId_name: { tenantId: ctx.tenantId, name: rest.name } },
        });
        if (taken) throw new TRPCError({ code: "CONFLICT", message: `a budget named "${rest.name}" exists` });
        const created = await tx.budget.create({
          data: { tenantId: ctx.tenantId, ...rest, limitMicros: BigInt(Math.round(limitDollars * 1_000_000)) },
        });
        await writeAudit(tx, ctx, {
          action: "budget.create",
          resourceType: "budget",
          resourceId: created.id,
          after: created,
        });
        return created;
      });
      await ctx.announce(ctx.tenantId, "budget.create");
      return row;
    }),

  delete: scoped("budgets:write")
    .input(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.db.$transaction(async (tx) => {
        const before = await tx.budget.findFirst({ where: { id: input.id, tenantId: ctx.tenantId } });
        if (!before) throw new TRPCError({ code: "NOT_FOUND", message: "budget not found" });
        await tx.budget.delete({ where: { id: before.id } });
        await writeAudit(tx, ctx, { action: "budget.delete", resourceType: "budget", resourceId: before.id, before });
      });
      await ctx.announce(ctx.tenantId, "budget.delete");
    }),

  rateLimits: scoped("limits:read").query(async ({ ctx }) => {
    return ctx.db.rateLimit.findMany({
      where: { tenantId: ctx.tenantId },
      include: {
        app: { select: { name: true } },
        apiKey: { select: { name: true, prefix: true } },
        route: { select: { name: true } },
      },
      orderBy: { createdAt: "asc" },
    });
  }),

  createRateLimit: scoped("limits:write")
    .input(rateLimitSchema.and(z.object({ tenantId: z.string() })))
    .mutation(async ({ ctx, input }) => {
      const { tenantId: _t, ...rest } = input;
      const row = await ctx.db.$transaction(async (tx) => {
        await assertRefs(tx, ctx.tenantId, rest);
        const created = await tx.rateLimit.create({ data: { tenantId: ctx.tenantId, ...rest } });
        await writeAudit(tx, ctx, {
          action: "rate_limit.create",
          resourceType: "rate_limit",
          resourceId: created.id,
          after: created,
        });
        return created;
      });
      await ctx.announce(ctx.tenantId, "rate_limit.create");
      return row;
    }),

  deleteRateLimit: scoped("limits:write")
    .input(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.db.$transaction(async (tx) => {
        const before = await tx.rateLimit.findFirst({ where: { id: input.id, tenantId: ctx.tenantId } });
        if (!before) throw new TRPCError({ code: "NOT_FOUND", message: "rate limit not found" });
        await tx.rateLimit.delete({ where: { id: before.id } });
        await writeAudit(tx, ctx, {
          action: "rate_limit.delete",
          resourceType: "rate_limit",
          resourceId: before.id,
          before,
        });
      });
      await ctx.announce(ctx.tenantId, "rate_limit.delete");
    }),
});
