// gateway.yaml → a validated config, or every error in the file by its path. Nothing here touches the
// database: a wrong file is rejected as a whole before anything is written.
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { routeVersionSpecSchema, type RouteVersionSpec } from "@gateway/policy/route-spec";
import { validatorSchemaProblem } from "@gateway/policy/validator";
import { compileSafePattern } from "@gateway/policy/safe-regex";
import { configFileSchema, type ConfigFile, type TenantConfig } from "./file-schema.ts";
import { formatPath } from "./error-path.ts";
import { interpolate } from "./interpolate.ts";
import { checkReferences } from "./references.ts";
import { routeConfigToSpecInput, specPathToFilePath } from "./route-mapping.ts";

/** A provider's credential as resolved at parse time; `value` is secret and never printed. */
export interface ResolvedCredential {
  value: string;
  /** The environment variable it came from, or null for a literal `api_key`. */
  env: string | null;
}

export interface ValidTenant {
  config: TenantConfig;
  /** Provider name → credential; providers without one keep what they have. */
  credentials: Map<string, ResolvedCredential>;
  /** Route name → the route version spec the file asks for (defaults filled). */
  routeSpecs: Map<string, RouteVersionSpec>;
  /** Alert rule name → webhook signing secret read from `webhook_secret_env`. */
  webhookSecrets: Map<string, string>;
}

export interface ValidConfig {
  file: ConfigFile;
  tenants: ValidTenant[];
}

export type ParseResult = { ok: true; config: ValidConfig } | { ok: false; errors: string[] };

export class ConfigValidationError extends Error {
  readonly errors: string[];
  constructor(errors: string[]) {
    super(`the config file has ${errors.length} error(s):\n${errors.join("\n")}`);
    this.name = "ConfigValidationError";
    this.errors = errors;
  }
}

/** Parses YAML text, or takes an already parsed object (tests and the demo build configs in memory). */
export function parseConfigFile(input: string | unknown, env: NodeJS.ProcessEnv = process.env): ParseResult {
  const errors: string[] = [];
  let raw: unknown = input;
  if (typeof input === "string") {
    const lineCounter = new LineCounter();
    const doc = parseDocument(input, { prettyErrors: false, uniqueKeys: true, lineCounter });
    if (doc.errors.length > 0) {
      return {
        ok: false,
        errors: doc.errors.map((e) => {
          const { line, col } = lineCounter.linePos(e.pos[0]);
          return `(file): line ${line}, column ${col}: ${e.message.split("\n")[0] ?? e.message}`;
        }),
      };
    }
    raw = doc.toJS();
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, errors: ["(file): expected a mapping with a `tenants` list"] };
  }

  raw = interpolate(raw, env, errors);
  checkReferences(raw, env, errors);
  const parsed = configFileSchema.safeParse(raw, {
    error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "required" : undefined),
  });
  if (!parsed.success) errors.push(...formatIssues(parsed.error.issues));
  if (!parsed.success || errors.length > 0) return { ok: false, errors: dedupe(errors) };

  const tenants = parsed.data.tenants.map((config, ti): ValidTenant => {
    const credentials = new Map<string, ResolvedCredential>();
    for (const p of config.providers) {
      if (p.api_key_env) credentials.set(p.name, { value: env[p.api_key_env] ?? "", env: p.api_key_env });
      else if (p.api_key) credentials.set(p.name, { value: p.api_key, env: null });
    }
    const routeSpecs = new Map<string, RouteVersionSpec>();
    config.routes.forEach((r, ri) => {
      const spec = routeVersionSpecSchema.safeParse(routeConfigToSpecInput(r));
      if (spec.success) {
        routeSpecs.set(r.name, spec.data);
        errors.push(...routeBehaviourProblems(spec.data).map(([path, message]) => `${formatPath(["tenants", ti, "routes", ri, ...path])}: ${message}`));
      } else {
        for (const issue of spec.error.issues) {
          errors.push(`${formatPath(["tenants", ti, "routes", ri, ...specPathToFilePath(issue.path)])}: ${issue.message}`);
        }
      }
    });
    const webhookSecrets = new Map<string, string>();
    for (const a of config.alert_rules) {
      if (a.webhook_secret_env) webhookSecrets.set(a.name, env[a.webhook_secret_env] ?? "");
    }
    return { config, credentials, routeSpecs, webhookSecrets };
  });
  if (errors.length > 0) return { ok: false, errors: dedupe(errors) };
  return { ok: true, config: { file: parsed.data, tenants } };
}

/** What the proxy could not run: a validator ajv cannot compile, a banned pattern the regex gate refuses. */
function routeBehaviourProblems(spec: RouteVersionSpec): Array<[Array<string | number>, string]> {
  const problems: Array<[Array<string | number>, string]> = [];
  if (spec.validator) {
    const problem = validatorSchemaProblem(spec.validator);
    if (problem) problems.push([["validator"], `not a usable JSON schema: ${problem}`]);
  }
  for (const stage of ["input", "output"] as const) {
    spec.guardrails?.[stage]?.bannedPatterns?.forEach((p, i) => {
      const compiled = compileSafePattern(p.pattern);
      if (!compiled.ok) problems.push([["guardrails", stage, "banned_patterns", i, "pattern"], compiled.reason]);
    });
  }
  return problems;
}

function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown field`);
    }
    if (issue.code === "invalid_union") {
      // A target is a {model} or a {balance}: report the branch that matched its shape best.
      const branch = issue.errors.reduce((best, b) => (b.length < best.length ? b : best), issue.errors[0] ?? []);
      if (branch.length > 0) return formatIssues(branch.map((i) => ({ ...i, path: [...issue.path, ...i.path] })));
    }
    return [`${formatPath(issue.path)}: ${issue.message}`];
  });
}

function dedupe(errors: string[]): string[] {
  return [...new Set(errors)];
}
