// Routes are versioned: every save writes a new RouteVersion and moves currentVersion; restore copies an old one.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma } from "@gateway/db";
import { guardrailsSpecProblems } from "@gateway/policy/guardrails";
import { routeVersionSpecInput, routeVersionSpecSchema, type RouteVersionSpec } from "@gateway/policy/route-spec";
import { createRouteSchema, saveRouteVersionSchema } from "../../../lib/schemas/routes.ts";
import { writeAudit } from "../audit.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

type VersionRow = Prisma.RouteVersionGetPayload<object>;

/** A stored version → the spec shape the editor and the policy functions use. */
export function specOf(v: VersionRow): RouteVersionSpec {
  return routeVersionSpecSchema.parse(routeVersionSpecInput(v));
}

// Nullable JSON columns: leaving the field out stores NULL on create.
const json = (v: unknown) => (v === null ? undefined : (v as Prisma.InputJsonValue));

function versionData(spec: RouteVersionSpec) {
  return {
    riskLevel: spec.riskLevel,
    targets: spec.targets as Prisma.InputJsonValue,
    upgradeRules: spec.upgradeRules as Prisma.InputJsonValue,
    retryLimit: spec.retryLimit,
    totalTimeoutMs: spec.totalTimeoutMs,
    ttftTimeoutMs: spec.ttftTimeoutMs,
    maxInputTokens: spec.maxInputTokens,
    maxOutputTokens: spec.maxOutputTokens,
    validator: json(spec.validator),
    cacheTtlSeconds: spec.cacheTtlSeconds,
    semanticCache: json(spec.semanticCache),
    guardrails: json(spec.guardrails),
  };
}

async function assertModelsExist(db: Prisma.TransactionClient, tenantId: string, spec: RouteVersionSpec) {
  const names = new Set<string>();
  const collect = (entries: RouteVersionSpec["targets"]) => {
    for (const e of entries) {
      if ("balance" in e) e.balance.forEach((t) => names.add(t.model));
      else names.add(e.model);
    }
  };
  collect(spec.targets);
  spec.upgradeRules.forEach((r) => collect(r.targets));
  const found = await db.model.findMany({ where: { tenantId, name: { in: [...names] } }, select: { name: true } });
  const missing = [...names].filter((n) => !found.some((f) => f.name === n));
  if (missing.length) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `unknown model${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}`,
    });
  }
}

/**
 * What the schema cannot see: a banned pattern that could backtrack catastrophically (the same gate the
 * config file and the proxy use), and a semantic cache whose embedding model is not an embedding model.
 */
async function assertCacheAndGuardrails(db: Prisma.TransactionClient, tenantId: string, spec: RouteVersionSpec) {
  const problems = guardrailsSpecProblems(spec.guardrails);
  if (problems.length) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: problems.map((p) => `guardrails.${p.path}: ${p.reason}`).join("; "),
    });
  }
  const sc = spec.semanticCache;
  if (sc) {
    const m = await db.model.findUnique({
      where: { tenantId_name: { tenantId, name: sc.embeddingModel } },
      select: { kind: true },
    });
    if (!m)
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `semanticCache.embeddingModel: unknown model "${sc.embeddingModel}"`,
      });
    if (m.kind !== "embedding") {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `semanticCache.embeddingModel: model "${sc.embeddingModel}" is not an embedding model`,
      });
    }
  }
}

export type SemanticBackend =
  { kind: "pgvector"; label: string; reason: string } | { kind: "exact"; label: string; reason: string };

/**
 * Which semantic cache index the proxies use on this database. The proxy's rule (apps/proxy/src/cache/
 * semantic.ts, detectSemanticIndex): pgvector when the server offers the extension and it can be enabled,
 * else exact cosine search. The dashboard only reads — it does not CREATE EXTENSION — so "offered but not
 * enabled" reads as the fallback until a proxy (with the privilege) has enabled it.
 */
export async function semanticBackend(db: Pick<Prisma.TransactionClient, "$queryRawUnsafe">): Promise<SemanticBackend> {
  const rows = await db.$queryRawUnsafe<{ available: boolean; installed: boolean }[]>(
    `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available,
       EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS installed`,
  );
  const r = rows[0];
  if (r?.installed) {
    return {
      kind: "pgvector",
      label: "pgvector (HNSW)",
      reason: "pgvector is enabled: cosine search on an HNSW index",
    };
  }
  return {
    kind: "exact",
    label: "exact search fallback (no pgvector)",
    reason: r?.available
      ? "pgvector is offered by the database but not enabled yet (a proxy enables it at start when it may): exact cosine search over each route's newest entries"
      : "the database has no pgvector extension: exact cosine search over each route's newest entries",
  };
}

export const routesRouter = createTRPCRouter({
  semanticBackend: scoped("routes:read").query(({ ctx }) => semanticBackend(ctx.db)),

  list: scoped("routes:read").query(async ({ ctx }) => {
    const routes = await ctx.db.route.findMany({ where: { tenantId: ctx.tenantId }, orderBy: { name: "asc" } });
    const current = await ctx.db.routeVersion.findMany({
      where: { OR: routes.map((r) => ({ routeId: r.id, version: r.currentVersion })) },
    });
    return routes.map((r) => {
      const v = current.find((c) => c.routeId === r.id);
      return { ...r, spec: v ? specOf(v) : null, updatedBy: v?.createdBy ?? null };
    });
  }),

  get: scoped("routes:read")
    .input(z.object({ routeId: z.string() }))
    .query(async ({ ctx, input }) => {
      const route = await ctx.db.route.findFirst({
        where: { id: input.routeId, tenantId: ctx.tenantId },
        include: { versions: { orderBy: { version: "desc" } } },
      });
      if (!route) throw new TRPCError({ code: "NOT_FOUND", message: "route not found" });
      const versions = route.versions.map((v) => ({
        version: v.version,
        note: v.note,
        createdBy: v.createdBy,
        createdAt: v.createdAt,
        spec: specOf(v),
      }));
      return {
        id: route.id,
        name: route.name,
        description: route.description,
        currentVersion: route.currentVersion,
        versions,
      };
    }),

  create: scoped("routes:write")
    .input(createRouteSchema)
    .mutation(async ({ ctx, input }) => {
      const route = await ctx.db.$transaction(async (tx) => {
        const exists = await tx.route.findUnique({
          where: { tenantId_name: { tenantId: ctx.tenantId, name: input.name } },
        });
        if (exists) throw new TRPCError({ code: "CONFLICT", message: `a route named "${input.name}" exists` });
        await assertModelsExist(tx, ctx.tenantId, input.spec);
        await assertCacheAndGuardrails(tx, ctx.tenantId, input.spec);
        const row = await tx.route.create({
          data: {
            tenantId: ctx.tenantId,
            name: input.name,
            description: input.description ?? null,
            currentVersion: 1,
            versions: {
              create: {
                version: 1,
                ...versionData(input.spec),
                note: input.note ?? "created",
                createdBy: ctx.user.email,
              },
            },
          },
        });
        await writeAudit(tx, ctx, {
          action: "route.create",
          resourceType: "route",
          resourceId: row.id,
          after: { name: row.name, version: 1, spec: input.spec },
        });
        return row;
      });
      await ctx.announce(ctx.tenantId, "route.create");
      return route;
    }),

  saveVersion: scoped("routes:write")
    .input(saveRouteVersionSchema)
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.db.$transaction(async (tx) => {
        const route = await tx.route.findFirst({ where: { id: input.routeId, tenantId: ctx.tenantId } });
        if (!route) throw new TRPCError({ code: "NOT_FOUND", message: "route not found" });
        if (route.currentVersion !== input.baseVersion) {
          throw new TRPCError({
            code: "CONFLICT",
            message: `someone saved version ${route.currentVersion} after you opened version ${input.baseVersion}; reload and reapply`,
          });
        }
        await assertModelsExist(tx, ctx.tenantId, input.spec);
        await assertCacheAndGuardrails(tx, ctx.tenantId, input.spec);
        const prev = await tx.routeVersion.findUniqueOrThrow({
          where: { routeId_version: { routeId: route.id, version: route.currentVersion } },
        });
        const version = route.currentVersion + 1;
        await tx.routeVersion.create({
          data: {
            routeId: route.id,
            version,
            ...versionData(input.spec),
            note: input.note ?? null,
            createdBy: ctx.user.email,
          },
        });
        // The conditional update makes two concurrent saves of one base version fail instead of both landing.
        const moved = await tx.route.updateMany({
          where: { id: route.id, currentVersion: route.currentVersion },
          data: {
            currentVersion: version,
            ...(input.description !== undefined ? { description: input.description } : {}),
          },
        });
        if (moved.count !== 1)
          throw new TRPCError({ code: "CONFLICT", message: "the route changed while saving; reload" });
        await writeAudit(tx, ctx, {
          action: "route.update",
          resourceType: "route",
          resourceId: route.id,
          before: { name: route.name, version: prev.version, spec: specOf(prev) },
          after: { name: route.name, version, spec: input.spec },
        });
        return { routeId: route.id, version };
      });
      await ctx.announce(ctx.tenantId, "route.update");
      return result;
    }),

  /** Restoring writes a new version that copies the old one, so history only ever grows. */
  restore: scoped("routes:write")
    .input(z.object({ routeId: z.string(), version: z.number().int().positive() }))
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.db.$transaction(async (tx) => {
        const route = await tx.route.findFirst({ where: { id: input.routeId, tenantId: ctx.tenantId } });
        if (!route) throw new TRPCError({ code: "NOT_FOUND", message: "route not found" });
        const source = await tx.routeVersion.findUnique({
          where: { routeId_version: { routeId: route.id, version: input.version } },
        });
        if (!source) throw new TRPCError({ code: "NOT_FOUND", message: `version ${input.version} not found` });
        const prev = await tx.routeVersion.findUniqueOrThrow({
          where: { routeId_version: { routeId: route.id, version: route.currentVersion } },
        });
        const spec = specOf(source);
        // A version written before the regex gate (or straight into the database) is not restored past it.
        await assertCacheAndGuardrails(tx, ctx.tenantId, spec);
        const version = route.currentVersion + 1;
        await tx.routeVersion.create({
          data: {
            routeId: route.id,
            version,
            ...versionData(spec),
            note: `restored from v${input.version}`,
            createdBy: ctx.user.email,
          },
        });
        await tx.route.update({ where: { id: route.id }, data: { currentVersion: version } });
        await writeAudit(tx, ctx, {
          action: "route.restore",
          resourceType: "route",
          resourceId: route.id,
          before: { version: prev.version, spec: specOf(prev) },
          after: { version, restoredFrom: input.version, spec },
        });
        return { routeId: route.id, version };
      });
      await ctx.announce(ctx.tenantId, "route.restore");
      return result;
    }),
});
