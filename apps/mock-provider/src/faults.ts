// Fault injection: what a request asks the mock to do wrong. Three sources, most specific wins: the
// `x-mock-fault` header, a `[[mock:...]]` marker in the last user message, and rules registered for the run
// via POST /__mock/faults (each with an optional `times` budget).
import { z } from "zod";

const flag = z.union([
  z.boolean(),
  z.enum(["true", "false", "1", "0", ""]).transform((v) => v !== "false" && v !== "0"),
]);
const int = z.coerce.number().int().nonnegative();

export const faultSchema = z
  .object({
    /** Respond with this HTTP status and the provider's error body. */
    status: z.coerce.number().int().min(400).max(599).optional(),
    /** Retry-After header value: seconds, or an HTTP date. */
    retry_after: z.union([z.number().nonnegative(), z.string().min(1)]).optional(),
    /** OpenAI's retry-after-ms header. */
    retry_after_ms: int.optional(),
    /** Error message for `status`. */
    message: z.string().optional(),
    /** Wait before sending anything (headers included). */
    delay_ms: int.optional(),
    /** Stream: send headers, then wait before the first event. */
    first_token_delay_ms: int.optional(),
    /** Stream: drop the connection after this many events. */
    cut_after: int.optional(),
    /** Stream: send the provider's in-stream error event after `cut_after` events (default 1) and end. */
    stream_error: flag.optional(),
    /** Answer text that is not valid JSON (for response_format / JSON mode). */
    invalid_json: flag.optional(),
    /** Call this tool (a declared tool name, or `*` for every declared tool in parallel). */
    tool_call: z.string().min(1).optional(),
    /** Leave usage out of the response / stream. */
    no_usage: flag.optional(),
    /** Report this many prompt tokens as cache reads. */
    cached_tokens: int.optional(),
    /** Stream: characters of text per delta event. */
    chunk_size: z.coerce.number().int().positive().optional(),
    /** Stream: pause between events. */
    chunk_delay_ms: int.optional(),
    /** Replace the answer text. */
    text: z.string().optional(),
  })
  .strict();
export type Fault = z.infer<typeof faultSchema>;

export const faultRuleSchema = z
  .object({
    match: z
      .object({
        model: z.string().optional(),
        provider: z.enum(["openai", "azure", "anthropic", "gemini"]).optional(),
        /** Substring of the request path. */
        path: z.string().optional(),
        stream: z.boolean().optional(),
      })
      .strict()
      .default({}),
    fault: faultSchema,
    /** Applies to this many matching requests, then is dropped; unlimited when absent. */
    times: z.number().int().positive().optional(),
  })
  .strict();
export type FaultRule = z.infer<typeof faultRuleSchema>;

export interface RequestFacts {
  provider: "openai" | "azure" | "anthropic" | "gemini";
  path: string;
  model: string;
  stream: boolean;
}

const MARKER = /\[\[mock:([^\]]*)\]\]/g;

/** `status=429,retry_after=1` → object; values stay strings, the schema coerces them. */
function parseKeyValues(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of spec.split(",")) {
    const trimmed = pair.trim();
    if (trimmed === "") continue;
    const eq = trimmed.indexOf("=");
    if (eq === -1) out[trimmed] = "true";
    else out[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return out;
}

function coerceRetryAfter(raw: Record<string, unknown>): Record<string, unknown> {
  const ra = raw.retry_after;
  if (typeof ra === "string" && /^\d+(\.\d+)?$/.test(ra)) return { ...raw, retry_after: Number(ra) };
  return raw;
}

export class FaultSpecError extends Error {}

export function parseFaultSpec(spec: string): Fault {
  const trimmed = spec.trim();
  const raw = trimmed.startsWith("{") ? (JSON.parse(trimmed) as Record<string, unknown>) : parseKeyValues(trimmed);
  const parsed = faultSchema.safeParse(coerceRetryAfter(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FaultSpecError(
      `invalid mock fault: ${issue ? `${issue.path.join(".") || issue.code}: ${issue.message}` : "unreadable"}`,
    );
  }
  return parsed.data;
}

export function faultFromText(text: string): Fault | null {
  let found: Fault | null = null;
  for (const m of text.matchAll(MARKER)) found = { ...(found ?? {}), ...parseFaultSpec(m[1] ?? "") };
  return found;
}

export function stripMarkers(text: string): string {
  return text.replace(MARKER, "").replace(/\s+/g, " ").trim();
}

export class FaultRules {
  private rules: { rule: FaultRule; remaining: number | null; id: number }[] = [];
  private nextId = 1;

  add(rule: FaultRule): number {
    const id = this.nextId++;
    this.rules.push({ rule, remaining: rule.times ?? null, id });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  list(): { id: number; match: FaultRule["match"]; fault: Fault; remaining: number | null }[] {
    return this.rules.map((r) => ({ id: r.id, match: r.rule.match, fault: r.rule.fault, remaining: r.remaining }));
  }

  /** The first matching rule's fault, spending one of its `times`. */
  take(facts: RequestFacts): Fault | null {
    const idx = this.rules.findIndex(({ rule: { match } }) => {
      if (match.model !== undefined && match.model !== facts.model) return false;
      if (match.provider !== undefined && match.provider !== facts.provider) return false;
      if (match.path !== undefined && !facts.path.includes(match.path)) return false;
      if (match.stream !== undefined && match.stream !== facts.stream) return false;
      return true;
    });
    const entry = this.rules[idx];
    if (!entry) return null;
    if (entry.remaining !== null) {
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.rules.splice(idx, 1);
    }
    return entry.rule.fault;
  }
}

/** Rule, then marker, then header: the more specific source overrides field by field. */
export function resolveFault(sources: (Fault | null)[]): Fault | null {
  const present = sources.filter((f): f is Fault => f !== null);
  if (present.length === 0) return null;
  return Object.assign({}, ...present) as Fault;
}
