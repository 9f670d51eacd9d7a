import { z } from "zod";
import { scopesOf } from "@gateway/policy/scopes";
import { tenantSettingsSchema } from "../../../lib/schemas/tenancy.ts";
import { writeAudit } from "../audit.ts";
import { createTRPCRouter, protectedProcedure, scoped, tenantProcedure } from "../trpc.ts";

export const tenantRouter = createTRPCRouter({
  /** The tenants the caller belongs to, for the switcher. */
  mine: protectedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db.membership.findMany({
      where: { userId: ctx.user.id },
      include: { tenant: { select: { id: true, slug: true, name: true } } },
      orderBy: { createdAt: "asc" },
    });
    return rows.map((m) => ({ ...m.tenant, role: m.role }));
  }),

  /** The caller's role and scopes in this tenant; the UI hides what the server would refuse anyway. */
  access: tenantProcedure.query(({ ctx }) => ({ role: ctx.role, scopes: [...scopesOf(ctx.role)] })),

  get: scoped("tenant:read").query(async ({ ctx }) => {
    return ctx.db.tenant.findUniqueOrThrow({ where: { id: ctx.tenantId } });
  }),

  update: scoped("tenant:update")
    .input(tenantSettingsSchema)
    .mutation(async ({ ctx, input }) => {
      const { tenantId, ...data } = input;
      const after = await ctx.db.$transaction(async (tx) => {
        const before = await tx.tenant.findUniqueOrThrow({ where: { id: ctx.tenantId } });
        const row = await tx.tenant.update({ where: { id: ctx.tenantId }, data });
        await writeAudit(tx, ctx, {
          action: "tenant.update",
          resourceType: "tenant",
          resourceId: tenantId,
          before,
          after: row,
        });
        return row;
      });
      await ctx.announce(ctx.tenantId, "tenant.update");
      return after;
    }),

  overview: scoped("tenant:read").query(async ({ ctx }) => {
    const since = new Date(Date.now() - 7 * 86_400_000);
    const [apps, keys, routes, openReviews, spend] = await Promise.all([
      ctx.db.app.count({ where: { tenantId: ctx.tenantId } }),
      ctx.db.apiKey.count({ where: { tenantId: ctx.tenantId, revokedAt: null } }),
      ctx.db.route.count({ where: { tenantId: ctx.tenantId } }),
      ctx.db.reviewItem.count({ where: { tenantId: ctx.tenantId, status: { not: "resolved" } } }),
      ctx.db.rollupDaily.aggregate({
        where: { tenantId: ctx.tenantId, bucketStart: { gte: since } },
        _sum: { requests: true, successes: true, errors: true, costMicros: true, fallbacks: true },
      }),
    ]);
    return {
      apps,
      keys,
      routes,
      openReviews,
      week: {
        requests: spend._sum.requests ?? 0,
        successes: spend._sum.successes ?? 0,
        errors: spend._sum.errors ?? 0,
        fallbacks: spend._sum.fallbacks ?? 0,
        costMicros: spend._sum.costMicros ?? 0n,
      },
    };
  }),
});

export const idInput = z.object({ id: z.string().min(1) });
