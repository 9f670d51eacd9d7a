// Shapes of a route version's JSON columns (targets, upgrade rules, validator, semantic cache, guardrails).
// The config file, the dashboard's forms and the proxy's snapshot loader all parse with these schemas, so
// what one writes the others read.
import { z } from "zod";

/** Per-target parameter overrides applied to the upstream request. */
export const targetParamsSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    max_tokens: z.number().int().positive().optional(),
    seed: z.number().int().optional(),
  })
  .strict();
export type TargetParams = z.infer<typeof targetParamsSchema>;

export const targetSpecSchema = z
  .object({
    /** A model name of the tenant (models table). */
    model: z.string().min(1),
    /** Share of traffic among the deployments of one `balance` entry. */
    weight: z.number().positive().optional(),
    params: targetParamsSchema.optional(),
  })
  .strict();
export type TargetSpec = z.infer<typeof targetSpecSchema>;

/**
 * One entry of a route's ordered target list: a single target, or several deployments of the same model
 * load-balanced by weight (one of them is picked per request; the others serve as that tier's retry).
 */
export const targetEntrySchema = z.union([
  targetSpecSchema,
  z.object({ balance: z.array(targetSpecSchema).min(1) }).strict(),
]);
export type TargetEntry = z.infer<typeof targetEntrySchema>;

export const targetsSchema = z.array(targetEntrySchema).min(1, "a route needs at least one target");

export const upgradeRuleSchema = z
  .object({
    when: z
      .object({
        inputTokensOver: z.number().int().nonnegative().optional(),
        userTier: z.string().min(1).optional(),
        workflow: z.string().min(1).optional(),
      })
      .strict()
      .refine((w) => Object.keys(w).length > 0, "an upgrade rule needs at least one condition"),
    /** The stronger targets that replace the route's list when every condition holds. */
    targets: targetsSchema,
  })
  .strict();
export type UpgradeRule = z.infer<typeof upgradeRuleSchema>;

export const semanticCacheSchema = z
  .object({
    enabled: z.boolean(),
    embeddingModel: z.string().min(1),
    threshold: z.number().min(0).max(1).default(0.97),
    maxEntries: z.number().int().positive().default(5000),
  })
  .strict();
export type SemanticCacheSpec = z.infer<typeof semanticCacheSchema>;

export const PII_KINDS = ["email", "phone", "card", "iban", "national_id", "secret"] as const;
export type PiiKind = (typeof PII_KINDS)[number];

const guardrailActionSchema = z.enum(["redact", "block", "log"]);
const bannedPatternSchema = z
  .object({ name: z.string().min(1), pattern: z.string().min(1), action: z.enum(["block", "log"]).default("block") })
  .strict();

export const guardrailsSchema = z
  .object({
    input: z
      .object({
        pii: z.object({ action: guardrailActionSchema, kinds: z.array(z.enum(PII_KINDS)).optional() }).strict().optional(),
        bannedPatterns: z.array(bannedPatternSchema).optional(),
        injection: z
          .object({ threshold: z.number().min(0).max(1), action: z.enum(["block", "log"]).default("block") })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    output: z
      .object({
        pii: z.object({ action: guardrailActionSchema, kinds: z.array(z.enum(PII_KINDS)).optional() }).strict().optional(),
        bannedPatterns: z.array(bannedPatternSchema).optional(),
        /** Validate the output against the route's validator (JSON schema). */
        validateSchema: z.boolean().optional(),
        /** Streams: hold the stream until the checks pass ("buffer"), or check afterwards and flag ("flag"). */
        streamMode: z.enum(["buffer", "flag"]).default("flag"),
      })
      .strict()
      .optional(),
  })
  .strict();
export type GuardrailsSpec = z.infer<typeof guardrailsSchema>;

export const RISK_LEVELS = ["low", "medium", "high"] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Everything a route version holds, as the config file, the dashboard and the proxy see it. */
export const routeVersionSpecSchema = z
  .object({
    riskLevel: z.enum(RISK_LEVELS),
    targets: targetsSchema,
    upgradeRules: z.array(upgradeRuleSchema).default([]),
    retryLimit: z.number().int().min(0).max(5).default(1),
    totalTimeoutMs: z.number().int().positive().max(600_000).default(60_000),
    ttftTimeoutMs: z.number().int().positive().max(600_000).default(15_000),
    maxInputTokens: z.number().int().positive().nullable().default(null),
    maxOutputTokens: z.number().int().positive().nullable().default(null),
    /** A JSON schema (draft 2020-12 subset that ajv accepts). */
    validator: z.record(z.string(), z.unknown()).nullable().default(null),
    cacheTtlSeconds: z.number().int().min(0).default(0),
    semanticCache: semanticCacheSchema.nullable().default(null),
    guardrails: guardrailsSchema.nullable().default(null),
  })
  .strict();
export type RouteVersionSpec = z.infer<typeof routeVersionSpecSchema>;

/** The columns of a stored route version (`route_versions`), as Prisma or raw SQL return them. */
export interface RouteVersionColumns {
  riskLevel: string;
  targets: unknown;
  upgradeRules: unknown;
  retryLimit: number;
  totalTimeoutMs: number;
  ttftTimeoutMs: number;
  maxInputTokens: number | null;
  maxOutputTokens: number | null;
  validator: unknown;
  cacheTtlSeconds: number;
  semanticCache: unknown;
  guardrails: unknown;
}

/**
 * A stored version's columns in the shape `routeVersionSpecSchema` parses: the one mapping the proxy's
 * snapshot loader, gatewayctl and the dashboard share (NULL JSON columns become null, a missing rule list []).
 */
export function routeVersionSpecInput(row: RouteVersionColumns): Record<string, unknown> {
  return {
    riskLevel: row.riskLevel,
    targets: row.targets,
    upgradeRules: row.upgradeRules ?? [],
    retryLimit: row.retryLimit,
    totalTimeoutMs: row.totalTimeoutMs,
    ttftTimeoutMs: row.ttftTimeoutMs,
    maxInputTokens: row.maxInputTokens,
    maxOutputTokens: row.maxOutputTokens,
    validator: row.validator ?? null,
    cacheTtlSeconds: row.cacheTtlSeconds,
    semanticCache: row.semanticCache ?? null,
    guardrails: row.guardrails ?? null,
  };
}

/** All concrete targets an entry list names, in order (balance entries expanded). */
export function targetModels(entries: TargetEntry[]): string[] {
  return entries.flatMap((e) => ("balance" in e ? e.balance.map((t) => t.model) : [e.model]));
}
