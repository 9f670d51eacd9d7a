// Applies a validated config to the database in one transaction, then announces the change on Redis.
// Idempotent: every object is compared with what is stored and written only when it differs; keys that
// exist are never re-created; a route gets a new version only when its spec changes; a price change adds
// a price row effective now. Additive: what the database has and the file lacks is left alone, unless `prune`.
import os from "node:os";
import {
  Prisma,
  decryptSecret,
  encryptSecret,
  generateApiKey,
  publishConfigChange,
  type PrismaClient,
} from "@gateway/db";
import type { Publisher } from "@gateway/db/config-channel";
import type { RouteVersionSpec } from "@gateway/policy/route-spec";
import { ConfigValidationError, parseConfigFile, type ValidConfig, type ValidTenant } from "./parse.ts";
import { canonicalJson, specFromVersionRow } from "./route-mapping.ts";
import { rateLimitIdentity } from "./references.ts";
import { microsToUsdString } from "./usd.ts";
import { camelKeys } from "./case.ts";

type Tx = Prisma.TransactionClient;

export interface ApplyActor {
  /** "cli", "user" or "system", as the audit log records it. */
  type: string;
  name: string;
  id?: string | null;
}

export interface ApplyOptions {
  actor?: ApplyActor;
  /** Environment for `${VAR}` interpolation and `api_key_env` (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Run everything, report what would change, then roll back. New keys carry no secret. */
  dryRun?: boolean;
  /**
   * Also remove, in the tenants the file declares, what the file no longer lists: keys are revoked (never
   * deleted: logs and audit refer to them), everything else is deleted. Tenants are never pruned.
   */
  prune?: boolean;
}

export interface AppliedKey {
  tenant: string;
  app: string;
  env: string;
  name: string;
  prefix: string;
  /** Only for keys this apply created: shown once, never stored. */
  secret?: string;
  created: boolean;
  revoked?: true;
}

export interface ConfigChange {
  tenant: string;
  kind: "tenant" | "provider" | "model" | "price" | "route" | "app" | "environment" | "key" | "budget" | "rate_limit" | "alert_rule";
  name: string;
  action: "created" | "updated" | "versioned" | "revoked" | "deleted";
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

export interface ApplyResult {
  keys: AppliedKey[];
  changes: ConfigChange[];
  tenants: Array<{ slug: string; id: string }>;
  dryRun: boolean;
  /**
   * Set when the change is committed but announcing it on Redis failed: proxies then pick it up at their
   * next poll. Reported rather than thrown, because throwing would lose the secrets of keys just created.
   */
  publishError?: string;
}

export function cliActor(): ApplyActor {
  return { type: "cli", name: os.userInfo().username };
}

class DryRunRollback extends Error {
  constructor(readonly result: ApplyResult) {
    super("dry run: rolled back");
  }
}

/**
 * Applies a config: YAML text, a parsed-but-unvalidated object (what YAML.parse returns), or a result of
 * parseConfigFile. Throws ConfigValidationError (with every error) before writing anything.
 */
export async function applyConfig(
  prisma: PrismaClient,
  redis: Publisher | null,
  input: string | ValidConfig | unknown,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const config = isValidConfig(input)
    ? input
    : isParseSuccess(input)
      ? input.config
      : validated(input, opts.env ?? process.env);
  const actor = opts.actor ?? cliActor();
  const now = new Date();
  let result: ApplyResult;
  try {
    result = await prisma.$transaction(
      async (tx) => {
        const out: ApplyResult = { keys: [], changes: [], tenants: [], dryRun: Boolean(opts.dryRun) };
        for (const tenant of config.tenants) {
          const r = await applyTenant(tx, tenant, {
            actor,
            now,
            dryRun: Boolean(opts.dryRun),
            prune: Boolean(opts.prune),
          });
          out.keys.push(...r.keys);
          out.changes.push(...r.changes);
          out.tenants.push({ slug: tenant.config.slug, id: r.tenantId });
        }
        if (opts.dryRun) throw new DryRunRollback(out);
        return out;
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
  } catch (err) {
    if (err instanceof DryRunRollback) return err.result;
    throw err;
  }
  if (redis) {
    try {
      for (const t of result.tenants) {
        if (result.changes.some((c) => c.tenant === t.slug)) {
          await publishConfigChange(redis, { tenantId: t.id, reason: "apply" });
        }
      }
    } catch (err) {
      result.publishError = err instanceof Error ? err.message : String(err);
    }
  }
  return result;
}

/** A result of parseConfigFile's validation (it carries resolved credentials and route specs). */
function isValidConfig(input: unknown): input is ValidConfig {
  if (input === null || typeof input !== "object" || !("file" in input) || !("tenants" in input)) return false;
  const tenants = (input as { tenants: unknown }).tenants;
  return Array.isArray(tenants) && tenants.every((t: Partial<ValidTenant>) => t.routeSpecs instanceof Map);
}

function isParseSuccess(input: unknown): input is { ok: true; config: ValidConfig } {
  return input !== null && typeof input === "object" && (input as { ok?: unknown }).ok === true && isValidConfig((input as { config?: unknown }).config);
}

function validated(input: unknown, env: NodeJS.ProcessEnv): ValidConfig {
  const parsed = parseConfigFile(input, env);
  if (!parsed.ok) throw new ConfigValidationError(parsed.errors);
  return parsed.config;
}

interface Ctx {
  actor: ApplyActor;
  now: Date;
  dryRun: boolean;
  prune: boolean;
}

/** JSON-safe, comparable form of a stored or desired value. */
function comparable(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return microsToUsdString(v);
  if (v === undefined) return null;
  return v;
}

/** The fields of `desired` whose values differ from `current`, as before/after; null when none do. */
function diff(
  current: Record<string, unknown>,
  desired: Record<string, unknown>,
): { before: Record<string, unknown>; after: Record<string, unknown> } | null {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const [k, want] of Object.entries(desired)) {
    const a = comparable(current[k]);
    const b = comparable(want);
    if (canonicalJson(a) !== canonicalJson(b)) {
      before[k] = a;
      after[k] = b;
    }
  }
  return Object.keys(after).length > 0 ? { before, after } : null;
}

/** Change records go to stdout and the audit log: money as decimal USD strings, dates as ISO strings. */
function jsonSafe(view: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(view).map(([k, v]) => [k, comparable(v)]));
}

function jsonOrDbNull(v: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return v === null || v === undefined ? Prisma.DbNull : (v as Prisma.InputJsonValue);
}

/** Whether `ciphertext` holds `plaintext`; a ciphertext under an older GATEWAY_SECRET_KEY counts as different. */
function holds(ciphertext: string | null, plaintext: string): boolean {
  if (!ciphertext) return false;
  try {
    return decryptSecret(ciphertext) === plaintext;
  } catch {
    // Unreadable under the current key (rotated secret): re-encrypting it is the fix, not an error.
    return false;
  }
}

async function applyTenant(
  tx: Tx,
  vt: ValidTenant,
  ctx: Ctx,
): Promise<{ tenantId: string; keys: AppliedKey[]; changes: ConfigChange[] }> {
  const t = vt.config;
  const changes: ConfigChange[] = [];
  const keys: AppliedKey[] = [];
  const record = (c: Omit<ConfigChange, "tenant">): void => {
    changes.push({
      tenant: t.slug,
      ...c,
      ...(c.before && { before: jsonSafe(c.before) }),
      ...(c.after && { after: jsonSafe(c.after) }),
    });
  };

  // ── tenant
  const tenantData = {
    name: t.name,
    timeZone: t.time_zone,
    logBodies: t.log_bodies,
    bodyMaxBytes: t.body_max_bytes,
    retentionDays: t.retention_days,
    bodyRetentionDays: t.body_retention_days,
    budgetFailMode: t.budget_fail_mode,
    rateLimitFailMode: t.rate_limit_fail_mode,
  };
  let tenant = await tx.tenant.findUnique({ where: { slug: t.slug } });
  if (!tenant) {
    tenant = await tx.tenant.create({ data: { slug: t.slug, ...tenantData } });
    record({ kind: "tenant", name: t.slug, action: "created" });
  } else {
    const d = diff(tenant, tenantData);
    if (d) {
      await tx.tenant.update({ where: { id: tenant.id }, data: tenantData });
      record({ kind: "tenant", name: t.slug, action: "updated", ...d });
    }
  }
  const tenantId = tenant.id;

  // ── provider accounts
  const providers = new Map((await tx.providerAccount.findMany({ where: { tenantId } })).map((p) => [p.name, p]));
  const providerIds = new Map<string, string>();
  for (const p of t.providers) {
    const data = {
      kind: p.kind,
      baseUrl: p.base_url ?? null,
      authStyle: p.auth_style,
      apiVersion: p.api_version ?? null,
      headers: p.headers ?? null,
    };
    const cred = vt.credentials.get(p.name);
    const row = providers.get(p.name);
    if (!row) {
      const created = await tx.providerAccount.create({
        data: {
          tenantId,
          name: p.name,
          ...data,
          headers: jsonOrDbNull(data.headers),
          credentialsCiphertext: cred ? encryptSecret(cred.value) : null,
          credentialsEnv: cred?.env ?? null,
        },
      });
      providerIds.set(p.name, created.id);
      record({ kind: "provider", name: p.name, action: "created", after: { ...data, credentialsEnv: cred?.env ?? null } });
      continue;
    }
    providerIds.set(p.name, row.id);
    const desired: Record<string, unknown> = { ...data };
    if (cred) desired.credentialsEnv = cred.env;
    const d = diff(row, desired) ?? { before: {}, after: {} };
    const credentialChanged = cred !== undefined && !holds(row.credentialsCiphertext, cred.value);
    if (credentialChanged) {
      // Never the value: only that it changed.
      d.before.credential = row.credentialsCiphertext ? "set" : "none";
      d.after.credential = "changed";
    }
    if (Object.keys(d.after).length > 0) {
      await tx.providerAccount.update({
        where: { id: row.id },
        data: {
          ...data,
          headers: jsonOrDbNull(data.headers),
          ...(cred && { credentialsEnv: cred.env }),
          ...(credentialChanged && cred && { credentialsCiphertext: encryptSecret(cred.value) }),
        },
      });
      record({ kind: "provider", name: p.name, action: "updated", ...d });
    }
  }
  const providerNameById = new Map([...providers.values()].map((p) => [p.id, p.name]));

  // ── models and prices
  const models = new Map(
    (
      await tx.model.findMany({
        where: { tenantId },
        include: { prices: { orderBy: { effectiveFrom: "desc" }, take: 1 } },
      })
    ).map((m) => [m.name, m]),
  );
  for (const m of t.models) {
    const providerAccountId = providerIds.get(m.provider)!;
    const data = {
      providerAccountId,
      upstreamModel: m.upstream_model ?? m.name,
      kind: m.kind,
      contextWindow: m.context_window,
      maxOutputTokens: m.max_output_tokens,
      capabilities: m.capabilities,
    };
    const price = {
      inputMicrosPerMTok: m.price.input,
      outputMicrosPerMTok: m.price.output,
      cachedInputMicrosPerMTok: m.price.cached_input ?? 0n,
    };
    const row = models.get(m.name);
    if (!row) {
      await tx.model.create({
        data: { tenantId, name: m.name, ...data, prices: { create: { effectiveFrom: ctx.now, ...price } } },
      });
      record({ kind: "model", name: m.name, action: "created", after: priceView(price) });
      continue;
    }
    const { providerAccountId: _, ...rest } = data;
    const d = diff(
      { ...row, provider: providerNameById.get(row.providerAccountId) ?? row.providerAccountId },
      { ...rest, provider: m.provider },
    );
    if (d) {
      await tx.model.update({ where: { id: row.id }, data });
      record({ kind: "model", name: m.name, action: "updated", ...d });
    }
    const latest = row.prices[0];
    const pd = latest ? diff(latest, price) : { before: {}, after: priceView(price) };
    if (pd) {
      await tx.modelPrice.create({ data: { modelId: row.id, effectiveFrom: ctx.now, ...price } });
      record({ kind: "price", name: m.name, action: "created", ...pd });
    }
  }

  // ── routes (versioned)
  const routes = new Map((await tx.route.findMany({ where: { tenantId } })).map((r) => [r.name, r]));
  const routeIds = new Map<string, string>();
  for (const r of t.routes) {
    const spec = vt.routeSpecs.get(r.name)!;
    const row = routes.get(r.name);
    if (!row) {
      const created = await tx.route.create({
        data: {
          tenantId,
          name: r.name,
          description: r.description ?? null,
          currentVersion: 1,
          versions: { create: versionData(spec, 1, ctx) },
        },
      });
      routeIds.set(r.name, created.id);
      record({ kind: "route", name: r.name, action: "created", after: { version: 1 } });
      continue;
    }
    routeIds.set(r.name, row.id);
    if ((row.description ?? null) !== (r.description ?? null)) {
      await tx.route.update({ where: { id: row.id }, data: { description: r.description ?? null } });
      record({
        kind: "route",
        name: r.name,
        action: "updated",
        before: { description: row.description },
        after: { description: r.description ?? null },
      });
    }
    const currentRow = await tx.routeVersion.findUnique({
      where: { routeId_version: { routeId: row.id, version: row.currentVersion } },
    });
    const currentSpec = currentRow ? safeSpec(currentRow) : null;
    if (currentSpec && canonicalJson(currentSpec) === canonicalJson(spec)) continue;
    const specChange = currentSpec ? specDiffView(currentSpec, spec) : { before: {}, after: {} };
    const max = await tx.routeVersion.aggregate({ where: { routeId: row.id }, _max: { version: true } });
    const next = (max._max.version ?? 0) + 1;
    await tx.routeVersion.create({ data: { routeId: row.id, ...versionData(spec, next, ctx) } });
    await tx.route.update({ where: { id: row.id }, data: { currentVersion: next } });
    record({
      kind: "route",
      name: r.name,
      action: "versioned",
      before: { version: row.currentVersion, ...specChange.before },
      after: { version: next, ...specChange.after },
    });
  }

  // ── apps, environments, keys
  const apps = new Map((await tx.app.findMany({ where: { tenantId } })).map((a) => [a.slug, a]));
  const envRows = await tx.environment.findMany({ where: { tenantId } });
  const keyRows = await tx.apiKey.findMany({ where: { tenantId } });
  const appIds = new Map<string, string>();
  const keyIds = new Map<string, string>();
  const keyBudgets: Array<{ name: string; keyId: string; budget: NonNullable<(typeof t.apps)[number]["environments"][number]["keys"][number]["budget"]> }> = [];
  for (const a of t.apps) {
    let app = apps.get(a.slug);
    if (!app) {
      app = await tx.app.create({ data: { tenantId, slug: a.slug, name: a.name } });
      record({ kind: "app", name: a.slug, action: "created" });
    } else if (app.name !== a.name) {
      await tx.app.update({ where: { id: app.id }, data: { name: a.name } });
      record({ kind: "app", name: a.slug, action: "updated", before: { name: app.name }, after: { name: a.name } });
    }
    appIds.set(a.slug, app.id);
    for (const e of a.environments) {
      let env = envRows.find((r) => r.appId === app.id && r.name === e.name);
      if (!env) {
        env = await tx.environment.create({ data: { tenantId, appId: app.id, name: e.name } });
        record({ kind: "environment", name: `${a.slug}/${e.name}`, action: "created" });
      }
      for (const k of e.keys) {
        const ref = `${a.slug}/${e.name}/${k.name}`;
        const data = {
          allowedRoutes: k.allowed_routes,
          allowedModels: k.allowed_models,
          rpm: k.rpm ?? null,
          tpm: k.tpm ?? null,
          expiresAt: k.expires_at ? new Date(k.expires_at) : null,
        };
        const row = keyRows.find((r) => r.environmentId === env.id && r.name === k.name);
        let keyId: string;
        if (!row) {
          const generated = generateApiKey();
          const created = await tx.apiKey.create({
            data: {
              tenantId,
              appId: app.id,
              environmentId: env.id,
              name: k.name,
              prefix: generated.prefix,
              hash: generated.hash,
              createdBy: ctx.actor.name,
              ...data,
            },
          });
          keyId = created.id;
          keys.push({
            tenant: t.slug,
            app: a.slug,
            env: e.name,
            name: k.name,
            prefix: generated.prefix,
            ...(!ctx.dryRun && { secret: generated.secret }),
            created: true,
          });
          record({ kind: "key", name: ref, action: "created", after: { prefix: generated.prefix } });
        } else {
          keyId = row.id;
          const d = diff(row, data);
          if (d) {
            await tx.apiKey.update({ where: { id: row.id }, data });
            record({ kind: "key", name: ref, action: "updated", ...d });
          }
          keys.push({
            tenant: t.slug,
            app: a.slug,
            env: e.name,
            name: k.name,
            prefix: row.prefix,
            created: false,
            ...(row.revokedAt && { revoked: true as const }),
          });
        }
        keyIds.set(ref, keyId);
        if (k.budget) keyBudgets.push({ name: k.budget.name ?? `key:${ref}`, keyId, budget: k.budget });
      }
    }
  }

  // Names for ids the file does not mention (rows created elsewhere), so change records read in names.
  const allRoutes = await tx.route.findMany({ where: { tenantId }, select: { id: true, name: true } });
  const routeName = new Map(allRoutes.map((r) => [r.id, r.name]));
  for (const r of allRoutes) routeIds.set(r.name, r.id);
  const appSlug = new Map([...apps.values()].map((a) => [a.id, a.slug]));
  for (const [slug, id] of appIds) appSlug.set(id, slug);

  // ── budgets
  const budgets = new Map((await tx.budget.findMany({ where: { tenantId } })).map((b) => [b.name, b]));
  const desiredBudgets = [
    ...t.budgets.map((b) => ({
      name: b.name,
      data: {
        scope: b.scope,
        appId: b.app ? appIds.get(b.app)! : null,
        apiKeyId: b.key ? keyIds.get(b.key)! : null,
        routeId: b.route ? routeIds.get(b.route)! : null,
        period: b.period,
        limitMicros: b.limit_usd,
        softThresholdPct: b.soft_threshold_pct,
        action: b.action,
        downgradeRouteId: b.downgrade_route ? routeIds.get(b.downgrade_route)! : null,
      },
    })),
    ...keyBudgets.map(({ name, keyId, budget: b }) => ({
      name,
      data: {
        scope: "key" as const,
        appId: null,
        apiKeyId: keyId,
        routeId: null,
        period: b.period,
        limitMicros: b.limit_usd,
        softThresholdPct: b.soft_threshold_pct,
        action: b.action,
        downgradeRouteId: b.downgrade_route ? routeIds.get(b.downgrade_route)! : null,
      },
    })),
  ];
  const keyRef = new Map([...keyIds].map(([ref, id]) => [id, ref]));
  const budgetView = (d: Omit<(typeof desiredBudgets)[number]["data"], "scope"> & { scope: string }) => ({
    ...d,
    appId: d.appId ? (appSlug.get(d.appId) ?? d.appId) : null,
    apiKeyId: d.apiKeyId ? (keyRef.get(d.apiKeyId) ?? d.apiKeyId) : null,
    routeId: d.routeId ? (routeName.get(d.routeId) ?? d.routeId) : null,
    downgradeRouteId: d.downgradeRouteId ? (routeName.get(d.downgradeRouteId) ?? d.downgradeRouteId) : null,
  });
  for (const b of desiredBudgets) {
    const row = budgets.get(b.name);
    if (!row) {
      await tx.budget.create({ data: { tenantId, name: b.name, ...b.data } });
      record({ kind: "budget", name: b.name, action: "created", after: budgetView(b.data) });
      continue;
    }
    const d = diff(budgetView(row), budgetView(b.data));
    if (d) {
      await tx.budget.update({ where: { id: row.id }, data: b.data });
      record({ kind: "budget", name: b.name, action: "updated", ...d });
    }
  }

  // ── rate limits, identified by their scope and subject
  const limitRows = await tx.rateLimit.findMany({ where: { tenantId }, orderBy: { createdAt: "asc" } });
  const rowIdentity = (r: (typeof limitRows)[number]): string =>
    rateLimitIdentity({
      scope: r.scope,
      app: r.appId ? (appSlug.get(r.appId) ?? r.appId) : undefined,
      key: r.apiKeyId ? (keyRef.get(r.apiKeyId) ?? r.apiKeyId) : undefined,
      route: r.routeId ? (routeName.get(r.routeId) ?? r.routeId) : undefined,
      model: r.modelName ?? undefined,
    });
  for (const l of t.rate_limits) {
    const identity = rateLimitIdentity(l);
    const data = { rpm: l.rpm ?? null, tpm: l.tpm ?? null };
    const row = limitRows.find((r) => rowIdentity(r) === identity);
    if (!row) {
      await tx.rateLimit.create({
        data: {
          tenantId,
          scope: l.scope,
          appId: l.app ? appIds.get(l.app)! : null,
          apiKeyId: l.key ? keyIds.get(l.key)! : null,
          routeId: l.route ? routeIds.get(l.route)! : null,
          modelName: l.model ?? null,
          ...data,
        },
      });
      record({ kind: "rate_limit", name: identity, action: "created", after: data });
      continue;
    }
    const d = diff(row, data);
    if (d) {
      await tx.rateLimit.update({ where: { id: row.id }, data });
      record({ kind: "rate_limit", name: identity, action: "updated", ...d });
    }
  }

  // ── alert rules
  const rules = new Map((await tx.alertRule.findMany({ where: { tenantId } })).map((r) => [r.name, r]));
  for (const a of t.alert_rules) {
    const data = {
      kind: a.kind,
      params: camelKeys(a.params) as Prisma.InputJsonValue,
      webhookUrl: a.webhook_url ?? null,
      enabled: a.enabled,
    };
    const secret = vt.webhookSecrets.get(a.name);
    const row = rules.get(a.name);
    if (!row) {
      await tx.alertRule.create({
        data: { tenantId, name: a.name, ...data, webhookSecretCiphertext: secret ? encryptSecret(secret) : null },
      });
      record({ kind: "alert_rule", name: a.name, action: "created", after: data });
      continue;
    }
    const d = diff(row, data) ?? { before: {}, after: {} };
    const secretChanged = secret !== undefined && !holds(row.webhookSecretCiphertext, secret);
    if (secretChanged) {
      d.before.webhookSecret = row.webhookSecretCiphertext ? "set" : "none";
      d.after.webhookSecret = "changed";
    }
    if (Object.keys(d.after).length > 0) {
      await tx.alertRule.update({
        where: { id: row.id },
        data: { ...data, ...(secretChanged && secret && { webhookSecretCiphertext: encryptSecret(secret) }) },
      });
      record({ kind: "alert_rule", name: a.name, action: "updated", ...d });
    }
  }

  if (ctx.prune) await pruneTenant(tx, vt, tenantId, ctx, record);

  // ── one audit entry per tenant and apply, changes or not: who applied what, never a secret
  await tx.auditLog.create({
    data: {
      tenantId,
      actorType: ctx.actor.type,
      actorId: ctx.actor.id ?? null,
      actorName: ctx.actor.name,
      action: "config.apply",
      resourceType: "config",
      resourceId: tenantId,
      before: changes.map(({ kind, name, action, before }) => ({ kind, name, action, ...(before && { before }) })) as Prisma.InputJsonValue,
      after: changes.map(({ kind, name, action, after }) => ({ kind, name, action, ...(after && { after }) })) as Prisma.InputJsonValue,
    },
  });

  return { tenantId, keys, changes };
}

/** Removes what the file no longer lists, dependents first (limits, budgets, keys) and providers last. */
async function pruneTenant(
  tx: Tx,
  vt: ValidTenant,
  tenantId: string,
  ctx: Ctx,
  record: (c: Omit<ConfigChange, "tenant">) => void,
): Promise<void> {
  const t = vt.config;
  const apps = await tx.app.findMany({ where: { tenantId }, include: { environments: true } });
  const appSlug = new Map(apps.map((a) => [a.id, a.slug]));
  const envName = new Map(apps.flatMap((a) => a.environments.map((e) => [e.id, e.name] as const)));
  const routes = await tx.route.findMany({ where: { tenantId } });
  const routeName = new Map(routes.map((r) => [r.id, r.name]));
  const keys = await tx.apiKey.findMany({ where: { tenantId } });
  const keyRef = new Map(keys.map((k) => [k.id, `${appSlug.get(k.appId)}/${envName.get(k.environmentId)}/${k.name}`]));

  const wantedLimits = new Set(t.rate_limits.map((l) => rateLimitIdentity(l)));
  for (const l of await tx.rateLimit.findMany({ where: { tenantId } })) {
    const identity = rateLimitIdentity({
      scope: l.scope,
      app: l.appId ? appSlug.get(l.appId) : undefined,
      key: l.apiKeyId ? keyRef.get(l.apiKeyId) : undefined,
      route: l.routeId ? routeName.get(l.routeId) : undefined,
      model: l.modelName ?? undefined,
    });
    if (wantedLimits.has(identity)) continue;
    await tx.rateLimit.delete({ where: { id: l.id } });
    record({ kind: "rate_limit", name: identity, action: "deleted", before: { rpm: l.rpm, tpm: l.tpm } });
  }

  const wantedBudgets = new Set([
    ...t.budgets.map((b) => b.name),
    ...t.apps.flatMap((a) =>
      a.environments.flatMap((e) => e.keys.flatMap((k) => (k.budget ? [k.budget.name ?? `key:${a.slug}/${e.name}/${k.name}`] : []))),
    ),
  ]);
  for (const b of await tx.budget.findMany({ where: { tenantId, name: { notIn: [...wantedBudgets] } } })) {
    await tx.budget.delete({ where: { id: b.id } });
    record({ kind: "budget", name: b.name, action: "deleted", before: { scope: b.scope, limitMicros: b.limitMicros } });
  }

  const wantedRules = t.alert_rules.map((a) => a.name);
  for (const a of await tx.alertRule.findMany({ where: { tenantId, name: { notIn: wantedRules } } })) {
    await tx.alertRule.delete({ where: { id: a.id } });
    record({ kind: "alert_rule", name: a.name, action: "deleted", before: { kind: a.kind } });
  }

  const wantedEnvs = new Set(t.apps.flatMap((a) => a.environments.map((e) => `${a.slug}/${e.name}`)));
  const wantedApps = new Set(t.apps.map((a) => a.slug));
  const wantedKeys = new Set(t.apps.flatMap((a) => a.environments.flatMap((e) => e.keys.map((k) => `${a.slug}/${e.name}/${k.name}`))));
  for (const k of keys) {
    const ref = keyRef.get(k.id)!;
    // Keys of an app or environment being deleted go with it (reported there).
    const [app, env] = ref.split("/");
    if (!wantedApps.has(app!) || !wantedEnvs.has(`${app}/${env}`)) continue;
    if (wantedKeys.has(ref) || k.revokedAt) continue;
    await tx.apiKey.update({ where: { id: k.id }, data: { revokedAt: ctx.now } });
    record({ kind: "key", name: ref, action: "revoked", before: { prefix: k.prefix } });
  }

  for (const a of apps) {
    if (!wantedApps.has(a.slug)) {
      await tx.app.delete({ where: { id: a.id } });
      record({ kind: "app", name: a.slug, action: "deleted", before: { keys: keys.filter((k) => k.appId === a.id).length } });
      continue;
    }
    for (const e of a.environments) {
      if (wantedEnvs.has(`${a.slug}/${e.name}`)) continue;
      await tx.environment.delete({ where: { id: e.id } });
      record({
        kind: "environment",
        name: `${a.slug}/${e.name}`,
        action: "deleted",
        before: { keys: keys.filter((k) => k.environmentId === e.id).length },
      });
    }
  }

  const wantedRoutes = t.routes.map((r) => r.name);
  for (const r of await tx.route.findMany({ where: { tenantId, name: { notIn: wantedRoutes } } })) {
    await tx.route.delete({ where: { id: r.id } });
    record({ kind: "route", name: r.name, action: "deleted", before: { version: r.currentVersion } });
  }
  const wantedModels = t.models.map((m) => m.name);
  for (const m of await tx.model.findMany({ where: { tenantId, name: { notIn: wantedModels } } })) {
    await tx.model.delete({ where: { id: m.id } });
    record({ kind: "model", name: m.name, action: "deleted" });
  }
  const wantedProviders = t.providers.map((p) => p.name);
  for (const p of await tx.providerAccount.findMany({ where: { tenantId, name: { notIn: wantedProviders } } })) {
    await tx.providerAccount.delete({ where: { id: p.id } });
    record({ kind: "provider", name: p.name, action: "deleted" });
  }
}

function versionData(spec: RouteVersionSpec, version: number, ctx: Ctx) {
  return {
    version,
    riskLevel: spec.riskLevel,
    targets: spec.targets as Prisma.InputJsonValue,
    upgradeRules: spec.upgradeRules as Prisma.InputJsonValue,
    retryLimit: spec.retryLimit,
    totalTimeoutMs: spec.totalTimeoutMs,
    ttftTimeoutMs: spec.ttftTimeoutMs,
    maxInputTokens: spec.maxInputTokens,
    maxOutputTokens: spec.maxOutputTokens,
    validator: jsonOrDbNull(spec.validator),
    cacheTtlSeconds: spec.cacheTtlSeconds,
    semanticCache: jsonOrDbNull(spec.semanticCache),
    guardrails: jsonOrDbNull(spec.guardrails),
    note: "gatewayctl apply",
    createdBy: ctx.actor.name,
    createdAt: ctx.now,
  };
}

/** A stored version that no longer parses is treated as different, so apply writes a good one over it. */
function safeSpec(row: Parameters<typeof specFromVersionRow>[0]): RouteVersionSpec | null {
  try {
    return specFromVersionRow(row);
  } catch {
    return null;
  }
}

function specDiffView(a: RouteVersionSpec, b: RouteVersionSpec) {
  return diff(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>) ?? { before: {}, after: {} };
}

function priceView(p: { inputMicrosPerMTok: bigint; outputMicrosPerMTok: bigint; cachedInputMicrosPerMTok: bigint }) {
  return {
    inputUsdPerMTok: microsToUsdString(p.inputMicrosPerMTok),
    outputUsdPerMTok: microsToUsdString(p.outputMicrosPerMTok),
    cachedInputUsdPerMTok: microsToUsdString(p.cachedInputMicrosPerMTok),
  };
}
