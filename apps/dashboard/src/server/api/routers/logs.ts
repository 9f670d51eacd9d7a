// The request log explorer: reads request_logs by tenant and time (the (tenant_id, created_at) index),
// newest first, with a keyset cursor so deep pages cost the same as the first.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma } from "@gateway/db";
import { can } from "@gateway/policy/scopes";
import { createTRPCRouter, scoped } from "../trpc.ts";

export const logFiltersSchema = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  appId: z.string().optional(),
  environment: z.string().optional(),
  apiKeyId: z.string().optional(),
  routeName: z.string().optional(),
  model: z.string().optional(),
  status: z.enum(["success", "error", "rejected"]).optional(),
  fallback: z.boolean().optional(),
});

const cursorSchema = z.object({ createdAt: z.coerce.date(), id: z.string() });

const listFields = {
  id: true,
  createdAt: true,
  appId: true,
  environment: true,
  apiKeyId: true,
  routeName: true,
  routeVersion: true,
  requestedModel: true,
  finalModel: true,
  provider: true,
  status: true,
  httpStatus: true,
  errorCode: true,
  fallbackUsed: true,
  retryCount: true,
  inputTokens: true,
  outputTokens: true,
  costMicros: true,
  latencyMs: true,
  stream: true,
  cacheHit: true,
} satisfies Prisma.RequestLogSelect;

export const logsRouter = createTRPCRouter({
  list: scoped("logs:read")
    .input(
      logFiltersSchema.extend({ cursor: cursorSchema.nullish(), limit: z.number().int().min(1).max(200).default(50) }),
    )
    .query(async ({ ctx, input }) => {
      const to = input.to ?? new Date();
      const from = input.from ?? new Date(to.getTime() - 7 * 86_400_000);
      const where: Prisma.RequestLogWhereInput = {
        tenantId: ctx.tenantId,
        createdAt: { gte: from, lte: to },
        ...(input.appId ? { appId: input.appId } : {}),
        ...(input.environment ? { environment: input.environment } : {}),
        ...(input.apiKeyId ? { apiKeyId: input.apiKeyId } : {}),
        ...(input.routeName ? { routeName: input.routeName } : {}),
        ...(input.model ? { finalModel: input.model } : {}),
        ...(input.status ? { status: input.status } : {}),
        ...(input.fallback !== undefined ? { fallbackUsed: input.fallback } : {}),
      };
      if (input.cursor) {
        where.OR = [
          { createdAt: { lt: input.cursor.createdAt } },
          { createdAt: input.cursor.createdAt, id: { lt: input.cursor.id } },
        ];
      }
      const rows = await ctx.db.requestLog.findMany({
        where,
        select: listFields,
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: input.limit + 1,
      });
      const more = rows.length > input.limit;
      const page = more ? rows.slice(0, input.limit) : rows;
      const last = page.at(-1);
      return { rows: page, nextCursor: more && last ? { createdAt: last.createdAt, id: last.id } : null };
    }),

  get: scoped("logs:read")
    .input(z.object({ id: z.string() }))
    .query(async ({ ctx, input }) => {
      const row = await ctx.db.requestLog.findFirst({ where: { id: input.id, tenantId: ctx.tenantId } });
      if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "request not found" });
      // Bodies are kept only where the tenant says so, and shown only to roles allowed to read them.
      const bodies = can(ctx.role, "logs:read_bodies");
      return {
        ...row,
        requestBody: bodies ? row.requestBody : null,
        responseBody: bodies ? row.responseBody : null,
        bodiesHidden: !bodies && (row.requestBody !== null || row.responseBody !== null),
      };
    }),

  /** Values for the filter dropdowns. */
  facets: scoped("logs:read").query(async ({ ctx }) => {
    const [apps, keys, routes, models] = await Promise.all([
      ctx.db.app.findMany({
        where: { tenantId: ctx.tenantId },
        select: { id: true, name: true, environments: { select: { name: true } } },
      }),
      ctx.db.apiKey.findMany({
        where: { tenantId: ctx.tenantId },
        select: { id: true, name: true, prefix: true },
        orderBy: { name: "asc" },
      }),
      ctx.db.route.findMany({ where: { tenantId: ctx.tenantId }, select: { name: true }, orderBy: { name: "asc" } }),
      ctx.db.model.findMany({ where: { tenantId: ctx.tenantId }, select: { name: true }, orderBy: { name: "asc" } }),
    ]);
    const environments = [...new Set(apps.flatMap((a) => a.environments.map((e) => e.name)))];
    return { apps, keys, routes: routes.map((r) => r.name), models: models.map((m) => m.name), environments };
  }),
});
