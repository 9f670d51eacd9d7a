import { TRPCError } from "@trpc/server";
import { createAppSchema, createEnvironmentSchema } from "../../../lib/schemas/tenancy.ts";
import { writeAudit } from "../audit.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

export const appsRouter = createTRPCRouter({
  list: scoped("apps:read").query(async ({ ctx }) => {
    const apps = await ctx.db.app.findMany({
      where: { tenantId: ctx.tenantId },
      include: {
        environments: {
          orderBy: { createdAt: "asc" },
          include: { _count: { select: { apiKeys: { where: { revokedAt: null } } } } },
        },
      },
      orderBy: { name: "asc" },
    });
    return apps;
  }),

  create: scoped("apps:write")
    .input(createAppSchema)
    .mutation(async ({ ctx, input }) => {
      const exists = await ctx.db.app.findUnique({
        where: { tenantId_slug: { tenantId: ctx.tenantId, slug: input.slug } },
      });
      if (exists) throw new TRPCError({ code: "CONFLICT", message: `an app with slug "${input.slug}" exists` });
      const app = await ctx.db.$transaction(async (tx) => {
        const row = await tx.app.create({
          data: {
            tenantId: ctx.tenantId,
            name: input.name,
            slug: input.slug,
            environments: {
              create: [...new Set(input.environments)].map((name) => ({ tenantId: ctx.tenantId, name })),
            },
          },
          include: { environments: true },
        });
        await writeAudit(tx, ctx, { action: "app.create", resourceType: "app", resourceId: row.id, after: row });
        return row;
      });
      await ctx.announce(ctx.tenantId, "app.create");
      return app;
    }),

  createEnvironment: scoped("apps:write")
    .input(createEnvironmentSchema)
    .mutation(async ({ ctx, input }) => {
      const app = await ctx.db.app.findFirst({ where: { id: input.appId, tenantId: ctx.tenantId } });
      if (!app) throw new TRPCError({ code: "NOT_FOUND", message: "app not found" });
      const env = await ctx.db.$transaction(async (tx) => {
        const row = await tx.environment.create({ data: { tenantId: ctx.tenantId, appId: app.id, name: input.name } });
        await writeAudit(tx, ctx, {
          action: "environment.create",
          resourceType: "environment",
          resourceId: row.id,
          after: row,
        });
        return row;
      });
      await ctx.announce(ctx.tenantId, "environment.create");
      return env;
    }),
});
