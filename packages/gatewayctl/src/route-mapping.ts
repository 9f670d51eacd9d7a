// Between a route as the config file writes it (snake_case) and the shared route version spec the
// database, the dashboard and the proxy use. Both directions, so `export` writes what `apply` reads.
import {
  routeVersionSpecInput,
  routeVersionSpecSchema,
  type RouteVersionColumns,
  type RouteVersionSpec,
  type UpgradeRule,
} from "@gateway/policy/route-spec";
import type { RouteConfig } from "./file-schema.ts";
import type { PathSegment } from "./error-path.ts";
import { camelKeys, snakeKeys } from "./case.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const SPEC_TO_FILE_KEY: Record<string, string> = { riskLevel: "risk", totalTimeoutMs: "timeout_ms" };

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The path of a spec issue, in the file's words (the validator's inner keys are left as they are). */
export function specPathToFilePath(path: readonly PropertyKey[]): PathSegment[] {
  const [head, ...rest] = path;
  if (head === undefined) return [];
  const first = typeof head === "string" ? (SPEC_TO_FILE_KEY[head] ?? snake(head)) : (head as number);
  if (head === "validator") return [first, ...(rest as PathSegment[])];
  return [first, ...rest.map((s) => (typeof s === "string" ? snake(s) : (s as number)))];
}

/** The spec input for a file route; parse it with routeVersionSpecSchema to fill defaults. */
export function routeConfigToSpecInput(r: RouteConfig): Record<string, unknown> {
  const spec: Record<string, unknown> = { riskLevel: r.risk, targets: r.targets };
  if (r.upgrade_rules) {
    spec.upgradeRules = r.upgrade_rules.map((u) => ({
      when: {
        ...(u.when.input_tokens_over !== undefined && { inputTokensOver: u.when.input_tokens_over }),
        ...(u.when.user_tier !== undefined && { userTier: u.when.user_tier }),
        ...(u.when.workflow !== undefined && { workflow: u.when.workflow }),
      },
      targets: u.targets,
    }));
  }
  if (r.retry_limit !== undefined) spec.retryLimit = r.retry_limit;
  if (r.timeout_ms !== undefined) spec.totalTimeoutMs = r.timeout_ms;
  if (r.ttft_timeout_ms !== undefined) spec.ttftTimeoutMs = r.ttft_timeout_ms;
  if (r.max_input_tokens !== undefined) spec.maxInputTokens = r.max_input_tokens;
  if (r.max_output_tokens !== undefined) spec.maxOutputTokens = r.max_output_tokens;
  if (r.validator !== undefined) spec.validator = r.validator;
  if (r.cache_ttl_seconds !== undefined) spec.cacheTtlSeconds = r.cache_ttl_seconds;
  if (r.semantic_cache != null) spec.semanticCache = camelKeys(r.semantic_cache);
  else if (r.semantic_cache === null) spec.semanticCache = null;
  if (r.guardrails !== undefined) spec.guardrails = camelKeys(r.guardrails);
  return spec;
}

/** A spec as a file route (every field written, so applying it back yields the same spec). */
export function specToRouteConfig(name: string, description: string | null, spec: RouteVersionSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { name };
  if (description) out.description = description;
  out.risk = spec.riskLevel;
  out.targets = spec.targets;
  if (spec.upgradeRules.length > 0) {
    out.upgrade_rules = spec.upgradeRules.map((u: UpgradeRule) => ({
      when: snakeKeys(u.when),
      targets: u.targets,
    }));
  }
  out.retry_limit = spec.retryLimit;
  out.timeout_ms = spec.totalTimeoutMs;
  out.ttft_timeout_ms = spec.ttftTimeoutMs;
  if (spec.maxInputTokens !== null) out.max_input_tokens = spec.maxInputTokens;
  if (spec.maxOutputTokens !== null) out.max_output_tokens = spec.maxOutputTokens;
  if (spec.validator !== null) out.validator = spec.validator;
  out.cache_ttl_seconds = spec.cacheTtlSeconds;
  if (spec.semanticCache !== null) out.semantic_cache = snakeKeys(spec.semanticCache);
  if (spec.guardrails !== null) out.guardrails = snakeKeys(spec.guardrails);
  return out;
}

/** The spec of a stored route version (its columns), parsed with the shared schema. */
export function specFromVersionRow(row: RouteVersionColumns): RouteVersionSpec {
  return routeVersionSpecSchema.parse(routeVersionSpecInput(row));
}

/** Key order independent JSON, to tell whether two specs say the same thing. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value as Json));
}
function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => value[k] !== undefined)
        .map((k) => [k, sortKeys(value[k] as Json)]),
    );
  }
  return value;
}
