// A route's output validator: a JSON schema that a model's text output must satisfy once parsed as JSON.
// Compiled validators are memoised by the schema's canonical JSON, so a hot route compiles once per process
// and two route versions with the same schema share one compiled function.
import { Ajv2020 } from "ajv/dist/2020.js";
import { Ajv, type ValidateFunction } from "ajv";

export type ValidationResult = { ok: true; value: unknown } | { ok: false; reason: string };

const DRAFT_07 = /json-schema\.org\/draft-0[4-7]\/schema/;
const MAX_CACHED = 500;

// strict:false — product owners paste schemas from elsewhere; unknown keywords and formats must not break
// a route. Formats are not checked (no ajv-formats): the validator checks structure and types.
const options = { strict: false, allErrors: false, validateFormats: false, logger: false } as const;
let ajv2020: Ajv2020 | null = null;
let ajv07: Ajv | null = null;
const cache = new Map<string, ValidateFunction>();

/** JSON with object keys sorted, so equal schemas written in a different key order share one entry. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

function compiler(schema: Record<string, unknown>): Ajv2020 | Ajv {
  if (typeof schema.$schema === "string" && DRAFT_07.test(schema.$schema)) return (ajv07 ??= new Ajv(options));
  return (ajv2020 ??= new Ajv2020(options));
}

/** The compiled validator for a schema; throws when the schema itself is not a valid JSON schema. */
export function compileValidator(schema: Record<string, unknown>): ValidateFunction {
  const key = canonicalJson(schema);
  const hit = cache.get(key);
  if (hit) return hit;
  // $id would make ajv refuse a second compile of the same schema; the cache already deduplicates.
  const { $id: _ignored, ...withoutId } = schema;
  const fn = compiler(schema).compile(withoutId);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, fn);
  return fn;
}

/** Why a schema cannot serve as a route validator, or null when it can: for the config file and dashboard. */
export function validatorSchemaProblem(schema: Record<string, unknown>): string | null {
  try {
    compileValidator(schema);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Parses `text` as JSON and checks it against the schema. Text that is not JSON is invalid output. */
export function validateOutput(schema: Record<string, unknown>, text: string): ValidationResult {
  const validate = compileValidator(schema);
  let value: unknown;
  try {
    value = JSON.parse(stripCodeFence(text));
  } catch {
    return { ok: false, reason: "output is not valid JSON" };
  }
  if (validate(value)) return { ok: true, value };
  const first = validate.errors?.[0];
  const where = first?.instancePath ? `${first.instancePath} ` : "";
  return { ok: false, reason: first ? `output ${where}${first.message ?? "does not match the schema"}`.trim() : "output does not match the schema" };
}

/** Models often wrap JSON in a ```json fence even when asked not to; the content is what is judged. */
function stripCodeFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return m ? m[1]! : text;
}
