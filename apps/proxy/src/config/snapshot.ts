// The proxy's in-memory view of every tenant's configuration. Built from Postgres in one pass, swapped
// atomically on reload, and read on the hot path without any I/O: keys by hash, routes and models by name,
// provider credentials already decrypted, route versions already parsed.
import { decryptSecret, type PrismaClient } from "@gateway/db";
import { routeVersionSpecInput, routeVersionSpecSchema, type RouteVersionColumns, type RouteVersionSpec } from "@gateway/policy/route-spec";

export type ProviderKind = "openai" | "openai_compatible" | "anthropic" | "gemini";

export interface ProviderConfig {
  id: string;
  name: string;
  kind: ProviderKind;
  baseUrl: string | null;
  /** Decrypted credential; never logged, never sent to a client. */
  apiKey: string | null;
  authStyle: string;
  apiVersion: string | null;
  headers: Record<string, string>;
  /** False when the SSRF guard refused the base URL or the credential could not be decrypted. */
  usable: boolean;
  unusableReason: string | null;
}

export interface PriceConfig {
  effectiveFrom: number;
  inputMicrosPerMTok: bigint;
  outputMicrosPerMTok: bigint;
  cachedInputMicrosPerMTok: bigint;
}

export interface ModelConfig {
  id: string;
  name: string;
  kind: "chat" | "embedding";
  upstreamModel: string;
  contextWindow: number;
  maxOutputTokens: number;
  capabilities: ReadonlySet<string>;
  provider: ProviderConfig;
  /** Newest first, so the price in force is the first with effectiveFrom <= now. */
  prices: PriceConfig[];
}

export interface RouteConfig {
  id: string;
  name: string;
  description: string | null;
  version: number;
  spec: RouteVersionSpec;
}

export interface BudgetConfig {
  id: string;
  name: string;
  scope: "tenant" | "app" | "key" | "route" | "model";
  appId: string | null;
  apiKeyId: string | null;
  routeId: string | null;
  period: "day" | "week" | "month" | "total";
  limitMicros: bigint;
  softThresholdPct: number;
  action: "block" | "downgrade" | "alert_only";
  downgradeRouteId: string | null;
}

export interface RateLimitConfig {
  id: string;
  scope: "tenant" | "app" | "key" | "route" | "model";
  appId: string | null;
  apiKeyId: string | null;
  routeId: string | null;
  modelName: string | null;
  rpm: number | null;
  tpm: number | null;
}

export interface TenantConfig {
  id: string;
  slug: string;
  name: string;
  timeZone: string;
  logBodies: boolean;
  bodyMaxBytes: number;
  budgetFailMode: "closed" | "open";
  rateLimitFailMode: "closed" | "open";
  models: ReadonlyMap<string, ModelConfig>;
  routes: ReadonlyMap<string, RouteConfig>;
  routesById: ReadonlyMap<string, RouteConfig>;
  budgets: BudgetConfig[];
  rateLimits: RateLimitConfig[];
  /** Routes whose stored version failed to parse: refused at request time rather than served wrongly. */
  brokenRoutes: ReadonlyMap<string, string>;
}

export interface KeyConfig {
  id: string;
  name: string;
  prefix: string;
  tenant: TenantConfig;
  appId: string;
  appSlug: string;
  environmentId: string;
  environmentName: string;
  /** Empty means every route of the tenant. */
  allowedRoutes: ReadonlySet<string>;
  /** Empty means no direct model access (routes only). */
  allowedModels: ReadonlySet<string>;
  rpm: number | null;
  tpm: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface ConfigSnapshot {
  loadedAt: number;
  /** Change marker of the tables it was built from (see `configChangeMarker`). */
  marker: string;
  keysByHash: ReadonlyMap<string, KeyConfig>;
  tenants: ReadonlyMap<string, TenantConfig>;
  unusableProviders: { tenantId: string; provider: string; reason: string }[];
  brokenRoutes: { tenantId: string; route: string; reason: string }[];
}

export interface SnapshotOptions {
  secretKey: string;
  /** Throws (or rejects) when a base URL is not a public upstream. Absent = every URL allowed. */
  checkUpstream?: (baseUrl: string) => void | Promise<void>;
}

interface CurrentVersionRow extends RouteVersionColumns {
  routeId: string;
  version: number;
}

/** The price in force at `at` (ms since epoch): the newest with effectiveFrom <= at. */
export function priceAt(model: ModelConfig, at: number): PriceConfig | null {
  for (const p of model.prices) if (p.effectiveFrom <= at) return p;
  return null;
}

const MARKER_SQL = `
SELECT concat_ws('|',
  (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM tenants),
  (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM apps),
  (SELECT count(*) FROM environments),
  (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM api_keys),
  (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM provider_accounts),
  (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM models),
  (SELECT count(*) || ':' || coalesce(max(created_at)::text, '') FROM model_prices),
  (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM routes),
  (SELECT count(*) FROM route_versions),
  (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM budgets),
  (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM rate_limits)
) AS marker`;

/**
 * A cheap fingerprint of the configuration tables: row counts catch deletes, max(updated_at) catches edits.
 * last_used_at is written with raw SQL that leaves updated_at alone, so key usage never triggers a reload.
 */
export async function configChangeMarker(prisma: PrismaClient): Promise<string> {
  const rows = await prisma.$queryRawUnsafe<{ marker: string }[]>(MARKER_SQL);
  return rows[0]?.marker ?? "";
}

function stringHeaders(json: unknown): Record<string, string> {
  if (!json || typeof json !== "object" || Array.isArray(json)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(json)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * Builds the snapshot. With `previous` and `onlyTenants`, reads only those tenants' rows and returns
 * `previous` with them replaced: what a config-change message naming one tenant costs, however many
 * tenants the gateway serves.
 */
export async function loadSnapshot(
  prisma: PrismaClient,
  opts: SnapshotOptions,
  partial?: { previous: ConfigSnapshot; onlyTenants: readonly string[] },
): Promise<ConfigSnapshot> {
  const marker = await configChangeMarker(prisma);
  const ids = partial ? [...partial.onlyTenants] : null;
  const byTenant = ids ? { tenantId: { in: ids } } : {};
  const [tenants, providers, models, routes, currentVersions, keys, budgets, rateLimits] = await Promise.all([
    prisma.tenant.findMany({ where: ids ? { id: { in: ids } } : {} }),
    prisma.providerAccount.findMany({ where: byTenant }),
    prisma.model.findMany({ where: byTenant, include: { prices: { orderBy: { effectiveFrom: "desc" } } } }),
    prisma.route.findMany({ where: byTenant }),
    // Only the version in force: a route's history grows with every edit and the proxy never reads it.
    prisma.$queryRawUnsafe<CurrentVersionRow[]>(
      `SELECT v.route_id AS "routeId", v.version, v.risk_level::text AS "riskLevel", v.targets,
              v.upgrade_rules AS "upgradeRules", v.retry_limit AS "retryLimit", v.total_timeout_ms AS "totalTimeoutMs",
              v.ttft_timeout_ms AS "ttftTimeoutMs", v.max_input_tokens AS "maxInputTokens",
              v.max_output_tokens AS "maxOutputTokens", v.validator, v.cache_ttl_seconds AS "cacheTtlSeconds",
              v.semantic_cache AS "semanticCache", v.guardrails
         FROM route_versions v JOIN routes r ON r.id = v.route_id AND r.current_version = v.version
        WHERE $1::text[] IS NULL OR r.tenant_id = ANY($1::text[])`,
      ids,
    ),
    prisma.apiKey.findMany({ where: byTenant, include: { app: true, environment: true } }),
    prisma.budget.findMany({ where: byTenant }),
    prisma.rateLimit.findMany({ where: byTenant }),
  ]);

  const unusableProviders: ConfigSnapshot["unusableProviders"] = [];
  const brokenRoutes: ConfigSnapshot["brokenRoutes"] = [];

  const providerById = new Map<string, ProviderConfig>();
  await Promise.all(
    providers.map(async (p) => {
      let apiKey: string | null = null;
      let unusableReason: string | null = null;
      if (p.credentialsCiphertext) {
        try {
          apiKey = decryptSecret(p.credentialsCiphertext, opts.secretKey);
        } catch {
          // The message of a decryption failure says nothing useful and must not echo ciphertext.
          unusableReason = "credentials could not be decrypted with GATEWAY_SECRET_KEY";
        }
      }
      if (!unusableReason && p.baseUrl && opts.checkUpstream) {
        try {
          await opts.checkUpstream(p.baseUrl);
        } catch (err) {
          unusableReason = `base URL refused: ${(err as Error).message}`;
        }
      }
      if (unusableReason) unusableProviders.push({ tenantId: p.tenantId, provider: p.name, reason: unusableReason });
      providerById.set(p.id, {
        id: p.id,
        name: p.name,
        kind: p.kind,
        baseUrl: p.baseUrl,
        apiKey,
        authStyle: p.authStyle,
        apiVersion: p.apiVersion,
        headers: stringHeaders(p.headers),
        usable: unusableReason === null,
        unusableReason,
      });
    }),
  );

  type MutableTenant = TenantConfig & {
    models: Map<string, ModelConfig>;
    routes: Map<string, RouteConfig>;
    routesById: Map<string, RouteConfig>;
    brokenRoutes: Map<string, string>;
  };
  const tenantById = new Map<string, MutableTenant>();
  for (const t of tenants) {
    tenantById.set(t.id, {
      id: t.id,
      slug: t.slug,
      name: t.name,
      timeZone: t.timeZone,
      logBodies: t.logBodies,
      bodyMaxBytes: t.bodyMaxBytes,
      budgetFailMode: t.budgetFailMode,
      rateLimitFailMode: t.rateLimitFailMode,
      models: new Map(),
      routes: new Map(),
      routesById: new Map(),
      budgets: [],
      rateLimits: [],
      brokenRoutes: new Map(),
    });
  }

  for (const m of models) {
    const tenant = tenantById.get(m.tenantId);
    const provider = providerById.get(m.providerAccountId);
    if (!tenant || !provider) continue;
    tenant.models.set(m.name, {
      id: m.id,
      name: m.name,
      kind: m.kind,
      upstreamModel: m.upstreamModel,
      contextWindow: m.contextWindow,
      maxOutputTokens: m.maxOutputTokens,
      capabilities: new Set(m.capabilities),
      provider,
      prices: m.prices.map((p) => ({
        effectiveFrom: p.effectiveFrom.getTime(),
        inputMicrosPerMTok: p.inputMicrosPerMTok,
        outputMicrosPerMTok: p.outputMicrosPerMTok,
        cachedInputMicrosPerMTok: p.cachedInputMicrosPerMTok,
      })),
    });
  }

  const versionByRoute = new Map(currentVersions.map((v) => [v.routeId, v]));
  for (const r of routes) {
    const tenant = tenantById.get(r.tenantId);
    if (!tenant) continue;
    const v = versionByRoute.get(r.id);
    if (!v) {
      tenant.brokenRoutes.set(r.name, `version ${r.currentVersion} does not exist`);
      brokenRoutes.push({ tenantId: r.tenantId, route: r.name, reason: `version ${r.currentVersion} does not exist` });
      continue;
    }
    const parsed = routeVersionSpecSchema.safeParse(routeVersionSpecInput(v));
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      tenant.brokenRoutes.set(r.name, reason);
      brokenRoutes.push({ tenantId: r.tenantId, route: r.name, reason });
      continue;
    }
    const route: RouteConfig = { id: r.id, name: r.name, description: r.description, version: v.version, spec: parsed.data };
    tenant.routes.set(r.name, route);
    tenant.routesById.set(r.id, route);
  }

  for (const b of budgets) {
    tenantById.get(b.tenantId)?.budgets.push({
      id: b.id,
      name: b.name,
      scope: b.scope,
      appId: b.appId,
      apiKeyId: b.apiKeyId,
      routeId: b.routeId,
      period: b.period,
      limitMicros: b.limitMicros,
      softThresholdPct: b.softThresholdPct,
      action: b.action,
      downgradeRouteId: b.downgradeRouteId,
    });
  }
  for (const l of rateLimits) {
    tenantById.get(l.tenantId)?.rateLimits.push({
      id: l.id,
      scope: l.scope,
      appId: l.appId,
      apiKeyId: l.apiKeyId,
      routeId: l.routeId,
      modelName: l.modelName,
      rpm: l.rpm,
      tpm: l.tpm,
    });
  }

  const keysByHash = new Map<string, KeyConfig>();
  for (const k of keys) {
    const tenant = tenantById.get(k.tenantId);
    if (!tenant) continue;
    keysByHash.set(k.hash, {
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      tenant,
      appId: k.appId,
      appSlug: k.app.slug,
      environmentId: k.environmentId,
      environmentName: k.environment.name,
      allowedRoutes: new Set(k.allowedRoutes),
      allowedModels: new Set(k.allowedModels),
      rpm: k.rpm,
      tpm: k.tpm,
      expiresAt: k.expiresAt?.getTime() ?? null,
      revokedAt: k.revokedAt?.getTime() ?? null,
    });
  }

  if (!partial) return { loadedAt: Date.now(), marker, keysByHash, tenants: tenantById, unusableProviders, brokenRoutes };

  const replaced = new Set(partial.onlyTenants);
  const prev = partial.previous;
  const mergedTenants = new Map(prev.tenants);
  for (const id of replaced) mergedTenants.delete(id);
  for (const [id, t] of tenantById) mergedTenants.set(id, t);
  const mergedKeys = new Map<string, KeyConfig>();
  for (const [hash, k] of prev.keysByHash) if (!replaced.has(k.tenant.id)) mergedKeys.set(hash, k);
  for (const [hash, k] of keysByHash) mergedKeys.set(hash, k);
  return {
    loadedAt: Date.now(),
    marker,
    keysByHash: mergedKeys,
    tenants: mergedTenants,
    unusableProviders: [...prev.unusableProviders.filter((u) => !replaced.has(u.tenantId)), ...unusableProviders],
    brokenRoutes: [...prev.brokenRoutes.filter((b) => !replaced.has(b.tenantId)), ...brokenRoutes],
  };
}
