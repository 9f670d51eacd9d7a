// The current configuration as a gateway.yaml that `apply` accepts and that applies with no change.
// Secrets are never written: providers carry their `api_key_env` name at most, and applying a provider
// without api_key/api_key_env keeps the credential it has. Revoked keys (and limits on them) are left out.
import { stringify } from "yaml";
import type { PrismaClient } from "@gateway/db";
import { specToRouteConfig, specFromVersionRow } from "./route-mapping.ts";
import { snakeKeys } from "./case.ts";
import { microsToUsdValue } from "./usd.ts";

export async function exportConfigObject(
  prisma: PrismaClient,
  opts: { tenant?: string } = {},
): Promise<{ version: 1; tenants: Record<string, unknown>[] }> {
  const tenants = await prisma.tenant.findMany({
    where: opts.tenant ? { slug: opts.tenant } : {},
    orderBy: { slug: "asc" },
  });
  if (opts.tenant && tenants.length === 0) throw new Error(`unknown tenant "${opts.tenant}"`);
  const out: Record<string, unknown>[] = [];
  for (const t of tenants) out.push(await exportTenant(prisma, t));
  return { version: 1, tenants: out };
}

export async function exportConfig(prisma: PrismaClient, opts: { tenant?: string } = {}): Promise<string> {
  const config = await exportConfigObject(prisma, opts);
  return (
    "# Exported by gatewayctl. Secrets are not exported: applying a provider without api_key/api_key_env\n" +
    "# keeps its stored credential, and keys are listed without their secrets.\n" +
    stringify(escapeInterpolation(config), { lineWidth: 0, aliasDuplicateObjects: false })
  );
}

async function exportTenant(
  prisma: PrismaClient,
  t: Awaited<ReturnType<PrismaClient["tenant"]["findMany"]>>[number],
): Promise<Record<string, unknown>> {
  const tenantId = t.id;
  const [providers, models, routes, apps, keys, budgets, limits, alertRules] = await Promise.all([
    prisma.providerAccount.findMany({ where: { tenantId }, orderBy: { name: "asc" } }),
    prisma.model.findMany({
      where: { tenantId },
      orderBy: { name: "asc" },
      include: { providerAccount: { select: { name: true } }, prices: { orderBy: { effectiveFrom: "desc" }, take: 1 } },
    }),
    prisma.route.findMany({ where: { tenantId }, orderBy: { name: "asc" } }),
    prisma.app.findMany({
      where: { tenantId },
      orderBy: { slug: "asc" },
      include: { environments: { orderBy: { name: "asc" } } },
    }),
    prisma.apiKey.findMany({ where: { tenantId, revokedAt: null }, orderBy: { name: "asc" } }),
    prisma.budget.findMany({ where: { tenantId }, orderBy: { name: "asc" } }),
    prisma.rateLimit.findMany({ where: { tenantId }, orderBy: { createdAt: "asc" } }),
    prisma.alertRule.findMany({ where: { tenantId }, orderBy: { name: "asc" } }),
  ]);
  const versions = await prisma.routeVersion.findMany({
    where: { OR: routes.map((r) => ({ routeId: r.id, version: r.currentVersion })) },
  });
  const routeName = new Map(routes.map((r) => [r.id, r.name]));
  const appSlug = new Map(apps.map((a) => [a.id, a.slug]));
  const envName = new Map(apps.flatMap((a) => a.environments.map((e) => [e.id, e.name] as const)));
  const keyRef = new Map(keys.map((k) => [k.id, `${appSlug.get(k.appId)}/${envName.get(k.environmentId)}/${k.name}`]));

  const scoped = (row: { appId: string | null; apiKeyId: string | null; routeId: string | null }) => ({
    ...(row.appId && { app: appSlug.get(row.appId) }),
    ...(row.apiKeyId && { key: keyRef.get(row.apiKeyId) }),
    ...(row.routeId && { route: routeName.get(row.routeId) }),
  });

  return {
    slug: t.slug,
    name: t.name,
    time_zone: t.timeZone,
    log_bodies: t.logBodies,
    body_max_bytes: t.bodyMaxBytes,
    retention_days: t.retentionDays,
    body_retention_days: t.bodyRetentionDays,
    budget_fail_mode: t.budgetFailMode,
    rate_limit_fail_mode: t.rateLimitFailMode,
    providers: providers.map((p) => ({
      name: p.name,
      kind: p.kind,
      ...(p.baseUrl && { base_url: p.baseUrl }),
      ...(p.credentialsEnv && { api_key_env: p.credentialsEnv }),
      auth_style: p.authStyle,
      ...(p.apiVersion && { api_version: p.apiVersion }),
      ...(p.headers !== null && { headers: p.headers }),
    })),
    models: models.map((m) => {
      const price = m.prices[0];
      return {
        name: m.name,
        provider: m.providerAccount.name,
        ...(m.upstreamModel !== m.name && { upstream_model: m.upstreamModel }),
        kind: m.kind,
        context_window: m.contextWindow,
        max_output_tokens: m.maxOutputTokens,
        capabilities: m.capabilities,
        price: {
          input: microsToUsdValue(price?.inputMicrosPerMTok ?? 0n),
          output: microsToUsdValue(price?.outputMicrosPerMTok ?? 0n),
          cached_input: microsToUsdValue(price?.cachedInputMicrosPerMTok ?? 0n),
        },
      };
    }),
    routes: routes.flatMap((r) => {
      const v = versions.find((x) => x.routeId === r.id && x.version === r.currentVersion);
      return v ? [specToRouteConfig(r.name, r.description, specFromVersionRow(v))] : [];
    }),
    apps: apps.map((a) => ({
      slug: a.slug,
      name: a.name,
      environments: a.environments.map((e) => ({
        name: e.name,
        keys: keys
          .filter((k) => k.environmentId === e.id)
          .map((k) => ({
            name: k.name,
            allowed_routes: k.allowedRoutes,
            allowed_models: k.allowedModels,
            ...(k.rpm !== null && { rpm: k.rpm }),
            ...(k.tpm !== null && { tpm: k.tpm }),
            ...(k.expiresAt && { expires_at: k.expiresAt.toISOString() }),
          })),
      })),
    })),
    // Key budgets are written here with their key reference (the inline `budget:` on a key is sugar).
    budgets: budgets
      .filter((b) => b.scope !== "model" && (b.apiKeyId === null || keyRef.has(b.apiKeyId)))
      .map((b) => ({
        name: b.name,
        scope: b.scope,
        ...scoped(b),
        period: b.period,
        limit_usd: microsToUsdValue(b.limitMicros),
        soft_threshold_pct: b.softThresholdPct,
        action: b.action,
        ...(b.downgradeRouteId && b.action === "downgrade" && { downgrade_route: routeName.get(b.downgradeRouteId) }),
      })),
    rate_limits: limits
      .filter((l) => (l.rpm !== null || l.tpm !== null) && (l.apiKeyId === null || keyRef.has(l.apiKeyId)))
      .map((l) => ({
        scope: l.scope,
        ...scoped(l),
        ...(l.modelName && { model: l.modelName }),
        ...(l.rpm !== null && { rpm: l.rpm }),
        ...(l.tpm !== null && { tpm: l.tpm }),
      })),
    alert_rules: alertRules.map((a) => ({
      name: a.name,
      kind: a.kind,
      params: snakeKeys(a.params),
      ...(a.webhookUrl && { webhook_url: a.webhookUrl }),
      enabled: a.enabled,
    })),
  };
}

/** Exported strings are literal: `${` must not be read back as interpolation. */
function escapeInterpolation(value: unknown): unknown {
  if (typeof value === "string") return value.replaceAll("${", "$${");
  if (Array.isArray(value)) return value.map(escapeInterpolation);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeInterpolation(v)]));
  }
  return value;
}
