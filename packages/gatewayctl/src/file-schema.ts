// The zod schema of gateway.yaml. Keys are snake_case in the file; route behaviour maps onto the shared
// route version spec (@gateway/policy/route-spec) so the file, the dashboard and the proxy agree.
import { z } from "zod";
import { RISK_LEVELS, PII_KINDS, targetsSchema } from "@gateway/policy/route-spec";
import { usdToMicros } from "./usd.ts";

/** An enum whose error reads `expected a|b|c`. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: () => `expected ${values.join("|")}` });
}

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected lowercase letters, digits and dashes (max 63)");
/** Names of models, routes, providers, keys, environments: no spaces, nothing a URL or a log would mangle. */
const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/, "expected letters, digits and . _ : / @ - (max 128)");
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/** US dollars as a decimal (number or string) with at most 6 decimals → integer micro-dollars. */
export const usdSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const micros = usdToMicros(v);
  if (micros === null) {
    ctx.addIssue({ code: "custom", message: "expected a non-negative US dollar amount with at most 6 decimals" });
    return z.NEVER;
  }
  return micros;
});

export const PROVIDER_KINDS = ["openai", "openai_compatible", "anthropic", "gemini"] as const;
export const MODEL_KINDS = ["chat", "embedding"] as const;
export const CAPABILITIES = ["tools", "vision", "json_schema", "streaming", "parallel_tool_calls", "n"] as const;
export const FAIL_MODES = ["closed", "open"] as const;
export const BUDGET_PERIODS = ["day", "week", "month", "total"] as const;
export const BUDGET_ACTIONS = ["block", "downgrade", "alert_only"] as const;
export const ALERT_KINDS = [
  "budget_soft_threshold",
  "budget_exhausted",
  "spend_spike",
  "error_rate",
  "fallback_rate",
  "p95_latency",
] as const;

const providerSchema = z
  .object({
    name,
    kind: oneOf(PROVIDER_KINDS),
    base_url: z.string().optional(),
    /** Name of an environment variable holding the credential, read at apply time. */
    api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name").optional(),
    /** A literal credential (prefer api_key_env; this one lives in the file). */
    api_key: z.string().min(1).optional(),
    auth_style: oneOf(["bearer", "api-key"] as const).default("bearer"),
    api_version: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .refine((p) => !(p.api_key && p.api_key_env), { message: "give api_key or api_key_env, not both", path: ["api_key"] });

const priceSchema = z
  .object({ input: usdSchema, output: usdSchema, cached_input: usdSchema.optional() })
  .strict();

const modelSchema = z
  .object({
    name,
    provider: name,
    /** The provider's model id (or Azure deployment); defaults to `name`. */
    upstream_model: z.string().min(1).optional(),
    kind: oneOf(MODEL_KINDS).default("chat"),
    context_window: positiveInt.default(128_000),
    max_output_tokens: positiveInt.default(4096),
    capabilities: z.array(oneOf(CAPABILITIES)).default([]),
    /** USD per million tokens. */
    price: priceSchema,
  })
  .strict();

const upgradeRuleSchema = z
  .object({
    when: z
      .object({
        input_tokens_over: nonNegativeInt.optional(),
        user_tier: z.string().min(1).optional(),
        workflow: z.string().min(1).optional(),
      })
      .strict()
      .refine((w) => Object.keys(w).length > 0, "an upgrade rule needs at least one condition"),
    targets: targetsSchema,
  })
  .strict();

const bannedPatternSchema = z
  .object({ name: z.string().min(1), pattern: z.string().min(1), action: oneOf(["block", "log"] as const).optional() })
  .strict();
const piiSchema = z
  .object({ action: oneOf(["redact", "block", "log"] as const), kinds: z.array(oneOf(PII_KINDS)).optional() })
  .strict();
const guardrailsSchema = z
  .object({
    input: z
      .object({
        pii: piiSchema.optional(),
        banned_patterns: z.array(bannedPatternSchema).optional(),
        injection: z
          .object({ threshold: z.number().min(0).max(1), action: oneOf(["block", "log"] as const).optional() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    output: z
      .object({
        pii: piiSchema.optional(),
        banned_patterns: z.array(bannedPatternSchema).optional(),
        validate_schema: z.boolean().optional(),
        stream_mode: oneOf(["buffer", "flag"] as const).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const routeSchema = z
  .object({
    name,
    description: z.string().optional(),
    risk: oneOf(RISK_LEVELS),
    targets: targetsSchema,
    upgrade_rules: z.array(upgradeRuleSchema).optional(),
    retry_limit: z.number().int().min(0).max(5).optional(),
    /** Total time for the request, all attempts included. */
    timeout_ms: positiveInt.max(600_000).optional(),
    ttft_timeout_ms: positiveInt.max(600_000).optional(),
    max_input_tokens: positiveInt.nullable().optional(),
    max_output_tokens: positiveInt.nullable().optional(),
    /** A JSON schema the output must satisfy. */
    validator: z.record(z.string(), z.unknown()).nullable().optional(),
    cache_ttl_seconds: nonNegativeInt.optional(),
    semantic_cache: z
      .object({
        enabled: z.boolean(),
        embedding_model: name,
        threshold: z.number().min(0).max(1).optional(),
        max_entries: positiveInt.optional(),
      })
      .strict()
      .nullable()
      .optional(),
    guardrails: guardrailsSchema.nullable().optional(),
  })
  .strict();

const keyBudgetSchema = z
  .object({
    /** Defaults to `key:<app>/<environment>/<key>`. */
    name: z.string().min(1).max(128).optional(),
    period: oneOf(BUDGET_PERIODS),
    limit_usd: usdSchema,
    soft_threshold_pct: z.number().int().min(1).max(100).default(80),
    action: oneOf(BUDGET_ACTIONS).default("block"),
    downgrade_route: name.optional(),
  })
  .strict();

const keySchema = z
  .object({
    name,
    allowed_routes: z.array(name).default([]),
    allowed_models: z.array(name).default([]),
    rpm: positiveInt.optional(),
    tpm: positiveInt.optional(),
    expires_at: z.iso.datetime({ offset: true, error: "expected an ISO 8601 date-time, e.g. 2027-01-01T00:00:00Z" }).optional(),
    budget: keyBudgetSchema.optional(),
  })
  .strict();

const environmentSchema = z
  .object({ name, keys: z.array(keySchema).default([]) })
  .strict();

const appSchema = z
  .object({
    slug,
    name: z.string().min(1).max(200),
    environments: z.array(environmentSchema).default([]),
  })
  .strict();

/** `<app>/<environment>/<key name>`: how budgets and rate limits name a key declared under apps. */
const keyRef = z.string().regex(/^[^/]+\/[^/]+\/[^/]+$/, "expected <app>/<environment>/<key name>");

/** Budgets at tenant, app, key or route scope (a key's budget may also be written on the key). */
const budgetSchema = z
  .object({
    name: z.string().min(1).max(128),
    scope: oneOf(["tenant", "app", "key", "route"] as const),
    app: slug.optional(),
    key: keyRef.optional(),
    route: name.optional(),
    period: oneOf(BUDGET_PERIODS),
    limit_usd: usdSchema,
    soft_threshold_pct: z.number().int().min(1).max(100).default(80),
    action: oneOf(BUDGET_ACTIONS).default("block"),
    downgrade_route: name.optional(),
  })
  .strict();

const rateLimitSchema = z
  .object({
    scope: oneOf(["tenant", "app", "key", "route", "model"] as const),
    app: slug.optional(),
    key: keyRef.optional(),
    route: name.optional(),
    model: name.optional(),
    rpm: positiveInt.optional(),
    tpm: positiveInt.optional(),
  })
  .strict()
  .refine((r) => r.rpm !== undefined || r.tpm !== undefined, { message: "give rpm, tpm or both", path: ["rpm"] });

const alertRuleSchema = z
  .object({
    name: z.string().min(1).max(128),
    kind: oneOf(ALERT_KINDS),
    /** Kind-specific thresholds, e.g. { threshold: 0.1, window_minutes: 15, route_name: support-summary }. */
    params: z.record(z.string(), z.unknown()).default({}),
    webhook_url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
    webhook_secret_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name").optional(),
    enabled: z.boolean().default(true),
  })
  .strict();

const tenantSchema = z
  .object({
    slug,
    name: z.string().min(1).max(200),
    time_zone: z
      .string()
      .refine(isTimeZone, "expected an IANA time zone, e.g. Europe/Paris")
      .default("UTC"),
    log_bodies: z.boolean().default(false),
    body_max_bytes: positiveInt.default(32_768),
    retention_days: positiveInt.default(90),
    body_retention_days: positiveInt.default(7),
    budget_fail_mode: oneOf(FAIL_MODES).default("closed"),
    rate_limit_fail_mode: oneOf(FAIL_MODES).default("open"),
    providers: z.array(providerSchema).default([]),
    models: z.array(modelSchema).default([]),
    routes: z.array(routeSchema).default([]),
    apps: z.array(appSchema).default([]),
    budgets: z.array(budgetSchema).default([]),
    rate_limits: z.array(rateLimitSchema).default([]),
    alert_rules: z.array(alertRuleSchema).default([]),
  })
  .strict();

export const configFileSchema = z
  .object({
    /** Format version of this file, for future migrations of the format. */
    version: z.literal(1).default(1),
    tenants: z.array(tenantSchema).min(1, "a config file declares at least one tenant"),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;
export type ConfigFileInput = z.input<typeof configFileSchema>;
export type TenantConfig = ConfigFile["tenants"][number];
export type ProviderConfig = TenantConfig["providers"][number];
export type ModelConfig = TenantConfig["models"][number];
export type RouteConfig = TenantConfig["routes"][number];
export type AppConfig = TenantConfig["apps"][number];
export type KeyConfig = AppConfig["environments"][number]["keys"][number];
export type KeyBudgetConfig = NonNullable<KeyConfig["budget"]>;
export type BudgetConfig = TenantConfig["budgets"][number];
export type RateLimitConfig = TenantConfig["rate_limits"][number];
export type AlertRuleConfig = TenantConfig["alert_rules"][number];

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
