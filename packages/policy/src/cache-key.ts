// The exact-cache key: one tenant, one resolved route version, and a canonical form of the request fields
// that change the output. Fields that only change delivery (stream, stream_options) or bookkeeping (user,
// metadata) are left out, so a streamed and a non-streamed call of the same request share one entry.
//
// Hashing uses node:crypto's sha256 — a pure computation (no I/O, no clock, no randomness), which is the
// only reason this pure package imports a node module.
import { createHash } from "node:crypto";

/** Request fields that can change what the model answers. Everything else is ignored by the key. */
export const OUTPUT_AFFECTING_FIELDS = [
  "model",
  "messages",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "functions",
  "function_call",
  "response_format",
  "temperature",
  "top_p",
  "max_tokens",
  "max_completion_tokens",
  "stop",
  "seed",
  "n",
  "presence_penalty",
  "frequency_penalty",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "reasoning_effort",
] as const;

/**
 * JSON with object keys sorted at every depth, `undefined` members dropped (as JSON.stringify does), so two
 * requests that differ only in key order serialise identically. Array order is kept: it is meaningful.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const s = JSON.stringify(value);
    // undefined / functions have no JSON form; inside arrays JSON.stringify writes null for them.
    return s === undefined ? "null" : s;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** The output-affecting subset of a chat request, canonicalised. `max_completion_tokens` and `max_tokens` mean the same. */
export function canonicalCacheRequest(request: Record<string, unknown>): string {
  const picked: Record<string, unknown> = {};
  for (const field of OUTPUT_AFFECTING_FIELDS) {
    if (request[field] !== undefined) picked[field] = request[field];
  }
  if (picked.max_completion_tokens !== undefined && picked.max_tokens === undefined) {
    picked.max_tokens = picked.max_completion_tokens;
  }
  delete picked.max_completion_tokens;
  return canonicalJson(picked);
}

export interface ExactCacheKeyInput {
  tenantId: string;
  routeName: string;
  routeVersion: number;
  request: Record<string, unknown>;
}

/** `{t:<tenantId>}:cache:<routeName>:v<version>:<sha256>` — the hash tag keeps a tenant's keys in one Redis Cluster slot. */
export function exactCacheKey({ tenantId, routeName, routeVersion, request }: ExactCacheKeyInput): string {
  const digest = createHash("sha256").update(canonicalCacheRequest(request)).digest("hex");
  return `{t:${tenantId}}:cache:${routeName}:v${routeVersion}:${digest}`;
}
