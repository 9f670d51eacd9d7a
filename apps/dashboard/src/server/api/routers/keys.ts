// API keys: create (secret returned once), list by prefix with last use, revoke, rotate.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma } from "@gateway/db";
import { generateApiKey } from "@gateway/db/secrets";
import { createKeySchema, listKeysSchema } from "../../../lib/schemas/keys.ts";
import { writeAudit } from "../audit.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

const keySelect = {
  id: true,
  name: true,
  prefix: true,
  appId: true,
  environmentId: true,
  allowedRoutes: true,
  allowedModels: true,
  rpm: true,
  tpm: true,
  expiresAt: true,
  revokedAt: true,
  lastUsedAt: true,
  createdAt: true,
  createdBy: true,
  app: { select: { name: true, slug: true } },
  environment: { select: { name: true } },
  budgets: { select: { id: true, limitMicros: true, period: true, action: true } },
} satisfies Prisma.ApiKeySelect;

/** What an audit row may record about a key: everything but the hash. */
function auditView(k: {
  id: string;
  name: string;
  prefix: string;
  allowedRoutes: string[];
  allowedModels: string[];
  rpm: number | null;
  tpm: number | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}) {
  const { id, name, prefix, allowedRoutes, allowedModels, rpm, tpm, expiresAt, revokedAt } = k;
  return { id, name, prefix, allowedRoutes, allowedModels, rpm, tpm, expiresAt, revokedAt };
}

export const keysRouter = createTRPCRouter({
  list: scoped("keys:read")
    .input(listKeysSchema)
    .query(async ({ ctx, input }) => {
      const now = new Date();
      const where: Prisma.ApiKeyWhereInput = { tenantId: ctx.tenantId };
      if (input.appId) where.appId = input.appId;
      if (input.q)
        where.OR = [{ name: { contains: input.q, mode: "insensitive" } }, { prefix: { startsWith: input.q } }];
      if (input.status === "active") {
        where.revokedAt = null;
        where.AND = [{ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }];
      } else if (input.status === "revoked") where.revokedAt = { not: null };
      else if (input.status === "expired") where.expiresAt = { lte: now };
      const [total, rows] = await Promise.all([
        ctx.db.apiKey.count({ where }),
        ctx.db.apiKey.findMany({
          where,
          select: keySelect,
          // Only the nullable columns take a nulls placement; never-used keys sort last either way.
          orderBy: [
            input.sort === "lastUsedAt" || input.sort === "expiresAt"
              ? { [input.sort]: { sort: input.dir, nulls: "last" } }
              : { [input.sort]: input.dir },
            { id: "asc" },
          ],
          skip: (input.page - 1) * input.pageSize,
          take: input.pageSize,
        }),
      ]);
      return { total, rows, page: input.page, pageSize: input.pageSize };
    }),

  create: scoped("keys:write")
    .input(createKeySchema)
    .mutation(async ({ ctx, input }) => {
      const env = await ctx.db.environment.findFirst({
        where: { id: input.environmentId, appId: input.appId, tenantId: ctx.tenantId },
      });
      if (!env) throw new TRPCError({ code: "NOT_FOUND", message: "environment not found in this app" });
      const taken = await ctx.db.apiKey.findUnique({
        where: { environmentId_name: { environmentId: env.id, name: input.name } },
      });
      if (taken)
        throw new TRPCError({ code: "CONFLICT", message: `a key named "${input.name}" exists in ${env.name}` });
      const [knownRoutes, knownModels] = await Promise.all([
        ctx.db.route.findMany({
          where: { tenantId: ctx.tenantId, name: { in: input.allowedRoutes } },
          select: { name: true },
        }),
        ctx.db.model.findMany({
          where: { tenantId: ctx.tenantId, name: { in: input.allowedModels } },
          select: { name: true },
        }),
      ]);
      const unknown = [
        ...input.allowedRoutes.filter((r) => !knownRoutes.some((k) => k.name === r)).map((r) => `route ${r}`),
        ...input.allowedModels.filter((m) => !knownModels.some((k) => k.name === m)).map((m) => `model ${m}`),
      ];
      if (unknown.length) throw new TRPCError({ code: "BAD_REQUEST", message: `unknown ${unknown.join(", ")}` });
      const { secret, prefix, hash } = generateApiKey();
      const key = await ctx.db.$transaction(async (tx) => {
        const row = await tx.apiKey.create({
          data: {
            tenantId: ctx.tenantId,
            appId: input.appId,
            environmentId: env.id,
            name: input.name,
            prefix,
            hash,
            allowedRoutes: input.allowedRoutes,
            allowedModels: input.allowedModels,
            rpm: input.rpm,
            tpm: input.tpm,
            expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
            createdBy: ctx.user.email,
          },
        });
        let budget = null;
        if (input.budgetDollars) {
          budget = await tx.budget.create({
            data: {
              tenantId: ctx.tenantId,
              name: `key:${row.prefix}`,
              scope: "key",
              apiKeyId: row.id,
              period: input.budgetPeriod,
              limitMicros: BigInt(Math.round(input.budgetDollars * 1_000_000)),
              action: "block",
            },
          });
        }
        await writeAudit(tx, ctx, {
          action: "key.create",
          resourceType: "api_key",
          resourceId: row.id,
          after: { ...auditView(row), budget: budget && { limitMicros: budget.limitMicros, period: budget.period } },
        });
        return row;
      });
      await ctx.announce(ctx.tenantId, "key.create");
      return { id: key.id, name: key.name, prefix: key.prefix, secret };
    }),

  revoke: scoped("keys:write")
    .input(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const key = await ctx.db.$transaction(async (tx) => {
        const before = await tx.apiKey.findFirst({ where: { id: input.id, tenantId: ctx.tenantId } });
        if (!before) throw new TRPCError({ code: "NOT_FOUND", message: "key not found" });
        if (before.revokedAt) throw new TRPCError({ code: "BAD_REQUEST", message: "key is already revoked" });
        const after = await tx.apiKey.update({ where: { id: before.id }, data: { revokedAt: new Date() } });
        await writeAudit(tx, ctx, {
          action: "key.revoke",
          resourceType: "api_key",
          resourceId: before.id,
          before: auditView(before),
          after: auditView(after),
        });
        return after;
      });
      await ctx.announce(ctx.tenantId, "key.revoke");
      return { id: key.id, revokedAt: key.revokedAt };
    }),

  /** A new secret with the same scope, limits and budgets; the old key is revoked in the same transaction. */
  rotate: scoped("keys:write")
    .input(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const { secret, prefix, hash } = generateApiKey();
      const result = await ctx.db.$transaction(async (tx) => {
        const old = await tx.apiKey.findFirst({ where: { id: input.id, tenantId: ctx.tenantId } });
        if (!old) throw new TRPCError({ code: "NOT_FOUND", message: "key not found" });
        if (old.revokedAt) throw new TRPCError({ code: "BAD_REQUEST", message: "a revoked key cannot be rotated" });
        // Names are unique per environment: the retired key keeps its history under a suffixed name.
        const retired = await tx.apiKey.update({
          where: { id: old.id },
          data: { revokedAt: new Date(), name: `${old.name} (rotated ${old.prefix})` },
        });
        const fresh = await tx.apiKey.create({
          data: {
            tenantId: ctx.tenantId,
            appId: old.appId,
            environmentId: old.environmentId,
            name: old.name,
            prefix,
            hash,
            allowedRoutes: old.allowedRoutes,
            allowedModels: old.allowedModels,
            rpm: old.rpm,
            tpm: old.tpm,
            expiresAt: old.expiresAt,
            createdBy: ctx.user.email,
          },
        });
        await tx.budget.updateMany({
          where: { apiKeyId: old.id, tenantId: ctx.tenantId },
          data: { apiKeyId: fresh.id },
        });
        await tx.rateLimit.updateMany({
          where: { apiKeyId: old.id, tenantId: ctx.tenantId },
          data: { apiKeyId: fresh.id },
        });
        await writeAudit(tx, ctx, {
          action: "key.rotate",
          resourceType: "api_key",
          resourceId: fresh.id,
          before: auditView(retired),
          after: auditView(fresh),
        });
        return fresh;
      });
      await ctx.announce(ctx.tenantId, "key.rotate");
      return { id: result.id, name: result.name, prefix: result.prefix, secret };
    }),
});
