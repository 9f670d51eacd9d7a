// One-off key work outside the config file: create (secret shown once), list (prefixes only), revoke.
// Each write is audited and announced on Redis so the proxy sees it within a second.
import { z } from "zod";
import { generateApiKey, publishConfigChange, type PrismaClient } from "@gateway/db";
import type { Publisher } from "@gateway/db/config-channel";
import type { ApplyActor } from "./apply.ts";

export class KeyCommandError extends Error {
  override readonly name = "KeyCommandError";
}

export const createKeyInputSchema = z
  .object({
    tenant: z.string().min(1),
    app: z.string().min(1),
    env: z.string().min(1),
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/, "expected letters, digits and . _ : / @ -"),
    allowedRoutes: z.array(z.string().min(1)).default([]),
    allowedModels: z.array(z.string().min(1)).default([]),
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type CreateKeyInput = z.input<typeof createKeyInputSchema>;

export interface KeyListing {
  id: string;
  tenant: string;
  app: string;
  env: string;
  name: string;
  prefix: string;
  allowed_routes: string[];
  allowed_models: string[];
  rpm: number | null;
  tpm: number | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

async function tenantBySlug(prisma: PrismaClient, slug: string) {
  const tenant = await prisma.tenant.findUnique({ where: { slug } });
  if (!tenant) throw new KeyCommandError(`unknown tenant "${slug}"`);
  return tenant;
}

export async function createKey(
  prisma: PrismaClient,
  redis: Publisher | null,
  input: CreateKeyInput,
  actor: ApplyActor,
): Promise<{ key: KeyListing; secret: string }> {
  const k = createKeyInputSchema.parse(input);
  const tenant = await tenantBySlug(prisma, k.tenant);
  const app = await prisma.app.findUnique({ where: { tenantId_slug: { tenantId: tenant.id, slug: k.app } } });
  if (!app) throw new KeyCommandError(`unknown app "${k.app}" in tenant "${k.tenant}"`);
  const env = await prisma.environment.findUnique({ where: { appId_name: { appId: app.id, name: k.env } } });
  if (!env) throw new KeyCommandError(`unknown environment "${k.env}" in app "${k.app}"`);
  const routes = await prisma.route.findMany({ where: { tenantId: tenant.id, name: { in: k.allowedRoutes } } });
  const missingRoutes = k.allowedRoutes.filter((r) => !routes.some((x) => x.name === r));
  if (missingRoutes.length > 0) throw new KeyCommandError(`unknown route(s): ${missingRoutes.join(", ")}`);
  const models = await prisma.model.findMany({ where: { tenantId: tenant.id, name: { in: k.allowedModels } } });
  const missingModels = k.allowedModels.filter((m) => !models.some((x) => x.name === m));
  if (missingModels.length > 0) throw new KeyCommandError(`unknown model(s): ${missingModels.join(", ")}`);
  const existing = await prisma.apiKey.findUnique({ where: { environmentId_name: { environmentId: env.id, name: k.name } } });
  if (existing) throw new KeyCommandError(`a key named "${k.name}" already exists in ${k.app}/${k.env}`);

  const generated = generateApiKey();
  const row = await prisma.$transaction(async (tx) => {
    const created = await tx.apiKey.create({
      data: {
        tenantId: tenant.id,
        appId: app.id,
        environmentId: env.id,
        name: k.name,
        prefix: generated.prefix,
        hash: generated.hash,
        allowedRoutes: k.allowedRoutes,
        allowedModels: k.allowedModels,
        rpm: k.rpm ?? null,
        tpm: k.tpm ?? null,
        expiresAt: k.expiresAt ? new Date(k.expiresAt) : null,
        createdBy: actor.name,
      },
    });
    await tx.auditLog.create({
      data: {
        tenantId: tenant.id,
        actorType: actor.type,
        actorId: actor.id ?? null,
        actorName: actor.name,
        action: "key.create",
        resourceType: "api_key",
        resourceId: created.id,
        after: { app: k.app, env: k.env, name: k.name, prefix: generated.prefix },
      },
    });
    return created;
  });
  if (redis) await publishConfigChange(redis, { tenantId: tenant.id, reason: "key.create" });
  return { key: listing(row, k.tenant, k.app, k.env), secret: generated.secret };
}

export async function listKeys(
  prisma: PrismaClient,
  filter: { tenant: string; app?: string; env?: string; includeRevoked?: boolean },
): Promise<KeyListing[]> {
  const tenant = await tenantBySlug(prisma, filter.tenant);
  const rows = await prisma.apiKey.findMany({
    where: {
      tenantId: tenant.id,
      ...(filter.app && { app: { slug: filter.app } }),
      ...(filter.env && { environment: { name: filter.env } }),
      ...(!filter.includeRevoked && { revokedAt: null }),
    },
    include: { app: { select: { slug: true } }, environment: { select: { name: true } } },
    orderBy: [{ app: { slug: "asc" } }, { environment: { name: "asc" } }, { name: "asc" }],
  });
  return rows.map((r) => listing(r, filter.tenant, r.app.slug, r.environment.name));
}

/** Revokes one key named by id, by prefix, or by app/env/name. Revoking a revoked key changes nothing. */
export async function revokeKey(
  prisma: PrismaClient,
  redis: Publisher | null,
  which: { tenant: string; id?: string; prefix?: string; app?: string; env?: string; name?: string },
  actor: ApplyActor,
): Promise<KeyListing> {
  const tenant = await tenantBySlug(prisma, which.tenant);
  const where = which.id
    ? { tenantId: tenant.id, id: which.id }
    : which.prefix
      ? { tenantId: tenant.id, prefix: which.prefix }
      : which.app && which.env && which.name
        ? { tenantId: tenant.id, app: { slug: which.app }, environment: { name: which.env }, name: which.name }
        : null;
  if (!where) throw new KeyCommandError("name the key with --id, --prefix, or --app, --env and --name");
  const matches = await prisma.apiKey.findMany({
    where,
    include: { app: { select: { slug: true } }, environment: { select: { name: true } } },
  });
  if (matches.length === 0) throw new KeyCommandError("no such key");
  if (matches.length > 1) throw new KeyCommandError(`${matches.length} keys match; name one with --id`);
  const key = matches[0]!;
  if (key.revokedAt) return listing(key, which.tenant, key.app.slug, key.environment.name);
  const revoked = await prisma.$transaction(async (tx) => {
    const row = await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    await tx.auditLog.create({
      data: {
        tenantId: tenant.id,
        actorType: actor.type,
        actorId: actor.id ?? null,
        actorName: actor.name,
        action: "key.revoke",
        resourceType: "api_key",
        resourceId: key.id,
        before: { revokedAt: null },
        after: { revokedAt: row.revokedAt?.toISOString() ?? null, prefix: key.prefix },
      },
    });
    return row;
  });
  if (redis) await publishConfigChange(redis, { tenantId: tenant.id, reason: "key.revoke" });
  return listing(revoked, which.tenant, key.app.slug, key.environment.name);
}

function listing(
  r: {
    id: string;
    name: string;
    prefix: string;
    allowedRoutes: string[];
    allowedModels: string[];
    rpm: number | null;
    tpm: number | null;
    expiresAt: Date | null;
    revokedAt: Date | null;
    lastUsedAt: Date | null;
    createdAt: Date;
  },
  tenant: string,
  app: string,
  env: string,
): KeyListing {
  return {
    id: r.id,
    tenant,
    app,
    env,
    name: r.name,
    prefix: r.prefix,
    allowed_routes: r.allowedRoutes,
    allowed_models: r.allowedModels,
    rpm: r.rpm,
    tpm: r.tpm,
    expires_at: r.expiresAt?.toISOString() ?? null,
    revoked_at: r.revokedAt?.toISOString() ?? null,
    last_used_at: r.lastUsedAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
  };
}
