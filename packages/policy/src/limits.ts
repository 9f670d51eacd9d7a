// Rate limits as decisions: which RPM/TPM limits apply to a request, how a sliding window is estimated, and
// which OpenAI rate-limit headers a response carries. The proxy runs the same arithmetic atomically in Redis
// (apps/proxy/src/enforcement/scripts.ts); the dashboard's simulator runs it here on counters it is given.

export type LimitScope = "tenant" | "app" | "key" | "route" | "model";
export type LimitKind = "rpm" | "tpm";

/** A configured rate limit (the rate_limits table). Structurally the proxy snapshot's RateLimitConfig. */
export interface RateLimitRule {
  id: string;
  scope: LimitScope;
  appId: string | null;
  apiKeyId: string | null;
  routeId: string | null;
  modelName: string | null;
  rpm: number | null;
  tpm: number | null;
}

/** Who a request is, for matching scopes: the key's tenant/app, the route (if it names one) and the model. */
export interface RequestSubject {
  tenantId: string;
  appId: string;
  apiKeyId: string;
  /** Null when the request names a model directly rather than a route. */
  routeId: string | null;
  /** The model that serves the request (the target's model name), for model-scope limits. */
  modelName: string | null;
}

/**
 * One limit to check. Limits on the same counter (same scope, subject and kind) are merged into the
 * strictest, because they count the same requests: checking a counter twice would count a request twice.
 */
export interface ApplicableLimit {
  scope: LimitScope;
  /** The id the counter belongs to: tenant id, app id, key id, route id or model name. */
  subject: string;
  kind: LimitKind;
  limit: number;
  /** Where the limit came from: rate_limits ids, or "key" for the key's own rpm/tpm columns. */
  sources: string[];
}

/** The window RPM and TPM are measured over. */
export const RATE_WINDOW_MS = 60_000;

function subjectOf(rule: RateLimitRule, s: RequestSubject): string | null {
  switch (rule.scope) {
    case "tenant":
      return s.tenantId;
    case "app":
      return rule.appId !== null && rule.appId === s.appId ? s.appId : null;
    case "key":
      return rule.apiKeyId !== null && rule.apiKeyId === s.apiKeyId ? s.apiKeyId : null;
    case "route":
      return rule.routeId !== null && rule.routeId === s.routeId ? s.routeId : null;
    case "model":
      return rule.modelName !== null && rule.modelName === s.modelName ? s.modelName : null;
  }
}

/**
 * Every RPM/TPM limit that applies to `subject`: the tenant's rate_limits rows whose scope matches, plus the
 * key's own rpm/tpm. A null or non-positive value means "no limit of that kind" (zero would refuse
 * everything, which a disabled key expresses better).
 */
export function applicableLimits(input: {
  subject: RequestSubject;
  rateLimits: readonly RateLimitRule[];
  key?: { rpm: number | null; tpm: number | null };
}): ApplicableLimit[] {
  const merged = new Map<string, ApplicableLimit>();
  const add = (scope: LimitScope, subject: string, kind: LimitKind, limit: number | null, source: string) => {
    if (limit === null || !(limit > 0)) return;
    const id = `${scope}:${subject}:${kind}`;
    const seen = merged.get(id);
    if (!seen) merged.set(id, { scope, subject, kind, limit, sources: [source] });
    else {
      seen.limit = Math.min(seen.limit, limit);
      seen.sources.push(source);
    }
  };
  for (const rule of input.rateLimits) {
    const subject = subjectOf(rule, input.subject);
    if (subject === null) continue;
    add(rule.scope, subject, "rpm", rule.rpm, rule.id);
    add(rule.scope, subject, "tpm", rule.tpm, rule.id);
  }
  if (input.key) {
    add("key", input.subject.apiKeyId, "rpm", input.key.rpm, "key");
    add("key", input.subject.apiKeyId, "tpm", input.key.tpm, "key");
  }
  return [...merged.values()];
}

/**
 * The sliding-window estimate ("fixed window with weights"): two counters per limit, the current fixed
 * window and the previous one, and the previous one counts in proportion to how much of it still lies inside
 * the sliding window. O(1) per limit, and exact whenever the previous window is empty.
 */
export function slidingCount(input: { current: number; previous: number; elapsedMs: number; windowMs: number }): number {
  // Multiply before dividing, in this order, exactly as the Lua script does: both must floor the same double.
  const overlapMs = Math.max(0, input.windowMs - input.elapsedMs);
  return Math.floor((input.previous * overlapMs) / input.windowMs) + input.current;
}

export interface WindowCheck {
  allowed: boolean;
  /** Count after this request if allowed, else the count it was refused at. */
  used: number;
  remaining: number;
  /** When a refused request could pass (0 when allowed). */
  retryAfterMs: number;
  /** Until the current fixed window ends; OpenAI's x-ratelimit-reset-* header. */
  resetMs: number;
}

/**
 * Whether `cost` more (1 request, or N tokens) fits under `limit` in the sliding window, and if not, how
 * long until it would. A cost larger than the limit never fits: its retry-after is one whole window, the
 * most a client can be told honestly.
 */
export function checkWindow(input: {
  current: number;
  previous: number;
  elapsedMs: number;
  windowMs: number;
  limit: number;
  cost: number;
}): WindowCheck {
  const { current, previous, elapsedMs, windowMs, limit, cost } = input;
  const used = slidingCount({ current, previous, elapsedMs, windowMs });
  const resetMs = Math.max(0, windowMs - elapsedMs);
  if (used + cost <= limit) {
    return { allowed: true, used: used + cost, remaining: Math.max(0, limit - used - cost), retryAfterMs: 0, resetMs };
  }
  // The estimate rounds the previous window's share down, so it drops below a bound b as soon as
  // previous * share < b + 1: the waits below are the first whole millisecond past that point.
  let retryAfterMs: number;
  if (cost > limit) retryAfterMs = windowMs;
  else if (current + cost <= limit && previous > 0) {
    const share = (limit - current - cost + 1) / previous;
    retryAfterMs = Math.max(1, Math.floor((1 - share) * windowMs - elapsedMs) + 1);
  } else {
    // The current window alone is too full: in the next one it becomes "previous" and starts sliding out.
    const share = current > 0 ? (limit - cost + 1) / current : 1;
    retryAfterMs = resetMs + (share > 1 ? 0 : Math.floor((1 - share) * windowMs) + 1);
  }
  return { allowed: false, used, remaining: Math.max(0, limit - used), retryAfterMs, resetMs };
}

/** The state of one limit after a check, for headers. */
export interface LimitState {
  kind: LimitKind;
  limit: number;
  remaining: number;
  resetMs: number;
}

/** OpenAI's duration format for x-ratelimit-reset-*: "20ms", "1s", "6m0s". */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const totalSeconds = Math.ceil(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/**
 * OpenAI's rate-limit headers. Of several limits of one kind, the one with the least remaining is reported:
 * it is the one the client will hit first.
 */
export function rateLimitHeaders(states: readonly LimitState[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [kind, word] of [
    ["rpm", "requests"],
    ["tpm", "tokens"],
  ] as const) {
    let tightest: LimitState | undefined;
    for (const s of states) {
      if (s.kind !== kind) continue;
      if (!tightest || s.remaining < tightest.remaining || (s.remaining === tightest.remaining && s.limit < tightest.limit)) {
        tightest = s;
      }
    }
    if (!tightest) continue;
    headers[`x-ratelimit-limit-${word}`] = String(tightest.limit);
    headers[`x-ratelimit-remaining-${word}`] = String(tightest.remaining);
    headers[`x-ratelimit-reset-${word}`] = formatResetDuration(tightest.resetMs);
  }
  return headers;
}

/** Retry-After is whole seconds, at least 1 (a 0 invites a hot retry loop). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
