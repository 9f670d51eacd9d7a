// Budgets as decisions: which budgets apply to a request, which calendar window (in the tenant's time zone)
// a moment falls in, what a call costs at worst and in fact (integer micro-dollars, rounded up), and what to
// do when one or more budgets would be overspent. The proxy runs the same rule atomically in Redis; the
// dashboard's simulator runs it here on counters it is given.
import type { RequestSubject } from "./limits.ts";

export type BudgetPeriod = "day" | "week" | "month" | "total";
export type BudgetAction = "block" | "downgrade" | "alert_only";

/** A configured budget (the budgets table). Structurally the proxy snapshot's BudgetConfig. */
export interface BudgetRule {
  id: string;
  name: string;
  /** tenant, app, key or route; a "model" scope never matches (model is not a budget scope). */
  scope: "tenant" | "app" | "key" | "route" | "model";
  appId: string | null;
  apiKeyId: string | null;
  routeId: string | null;
  period: BudgetPeriod;
  limitMicros: bigint;
  softThresholdPct: number;
  action: BudgetAction;
  downgradeRouteId: string | null;
}

export function applicableBudgets<B extends BudgetRule>(subject: RequestSubject, budgets: readonly B[]): B[] {
  return budgets.filter((b) => {
    switch (b.scope) {
      case "tenant":
        return true;
      case "app":
        return b.appId !== null && b.appId === subject.appId;
      case "key":
        return b.apiKeyId !== null && b.apiKeyId === subject.apiKeyId;
      case "route":
        return b.routeId !== null && b.routeId === subject.routeId;
      case "model":
        return false;
    }
  });
}

// ───────────────────────────── calendar windows ─────────────────────────────

export interface BudgetWindow {
  /** Names the window inside a budget's counters: "day:2026-11-23", "week:2026-11-23" (its Monday), "month:2026-11", "total". */
  key: string;
  /** First instant of the window; null for total. */
  startsAt: Date | null;
  /** First instant of the next window; null for total. */
  resetsAt: Date | null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError for an unknown zone: a misconfigured tenant must be loud, not silently UTC.
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTimeAt(ms: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at instant `ms` (wall time as if UTC, minus the instant), whole seconds. */
function offsetAt(ms: number, timeZone: string): number {
  const w = wallTimeAt(ms, timeZone);
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wallAsUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant at which the zone's clock shows midnight starting the given calendar date. Where a DST jump
 * skips midnight (e.g. America/Santiago, 00:00 → 01:00), the day starts at the first instant that exists.
 */
function startOfLocalDay(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  const t1 = wall - offsetAt(wall, timeZone);
  const t2 = wall - offsetAt(t1, timeZone);
  if (t2 + offsetAt(t2, timeZone) === wall) return t2;
  return Math.max(t1, t2);
}

function isoDate(year: number, month: number, day: number): string {
  // Normalise overflow (day 0, day 32) through Date.UTC.
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.toISOString().slice(0, 10);
}

/**
 * The calendar window containing `now` in `timeZone`: day, ISO week (Monday to Monday), month, or the single
 * window of a total budget.
 */
export function budgetWindow(period: BudgetPeriod, now: Date, timeZone: string): BudgetWindow {
  if (period === "total") return { key: "total", startsAt: null, resetsAt: null };
  const w = wallTimeAt(now.getTime(), timeZone);
  if (period === "day") {
    return {
      key: `day:${isoDate(w.year, w.month, w.day)}`,
      startsAt: new Date(startOfLocalDay(w.year, w.month, w.day, timeZone)),
      resetsAt: new Date(startOfLocalDay(w.year, w.month, w.day + 1, timeZone)),
    };
  }
  if (period === "week") {
    const dow = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay(); // 0 = Sunday
    const monday = w.day - ((dow + 6) % 7);
    return {
      key: `week:${isoDate(w.year, w.month, monday)}`,
      startsAt: new Date(startOfLocalDay(w.year, w.month, monday, timeZone)),
      resetsAt: new Date(startOfLocalDay(w.year, w.month, monday + 7, timeZone)),
    };
  }
  return {
    key: `month:${String(w.year).padStart(4, "0")}-${String(w.month).padStart(2, "0")}`,
    startsAt: new Date(startOfLocalDay(w.year, w.month, 1, timeZone)),
    resetsAt: new Date(startOfLocalDay(w.year, w.month + 1, 1, timeZone)),
  };
}

// ───────────────────────────── cost ─────────────────────────────

/** Micro-dollars per million tokens, as in model_prices. */
export interface TokenPrice {
  inputMicrosPerMTok: bigint;
  outputMicrosPerMTok: bigint;
  /** Price of cached input tokens; 0 or absent means the provider gives no cache discount. */
  cachedInputMicrosPerMTok?: bigint;
}

export interface TokenUsage {
  /** All prompt tokens, cached ones included (as OpenAI's prompt_tokens). */
  inputTokens: number;
  outputTokens: number;
  /** The part of inputTokens served from the provider's prompt cache. */
  cachedInputTokens?: number;
}

const PER_MTOK = 1_000_000n;

function ceilDiv(n: bigint, d: bigint): bigint {
  return n <= 0n ? 0n : (n + d - 1n) / d;
}

function tokenCount(n: number, field: string): bigint {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${field} must be a non-negative integer, got ${n}`);
  return BigInt(n);
}

/** The most a call can cost: every input token and the full output allowance at the target's price, rounded up. */
export function worstCaseCostMicros(input: { inputTokens: number; maxOutputTokens: number; price: TokenPrice }): bigint {
  const numerator =
    tokenCount(input.inputTokens, "inputTokens") * input.price.inputMicrosPerMTok +
    tokenCount(input.maxOutputTokens, "maxOutputTokens") * input.price.outputMicrosPerMTok;
  return ceilDiv(numerator, PER_MTOK);
}

/** What a call cost, rounded up once over the whole call so that rounding never favours the spender. */
export function costMicros(usage: TokenUsage, price: TokenPrice): bigint {
  const input = tokenCount(usage.inputTokens, "inputTokens");
  const cached = tokenCount(Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens), "cachedInputTokens");
  const cachedPrice =
    price.cachedInputMicrosPerMTok !== undefined && price.cachedInputMicrosPerMTok > 0n
      ? price.cachedInputMicrosPerMTok
      : price.inputMicrosPerMTok;
  const numerator =
    (input - cached) * price.inputMicrosPerMTok +
    cached * cachedPrice +
    tokenCount(usage.outputTokens, "outputTokens") * price.outputMicrosPerMTok;
  return ceilDiv(numerator, PER_MTOK);
}

// ───────────────────────────── decisions ─────────────────────────────

/** A budget with its counters for the current window. */
export interface BudgetState {
  budget: BudgetRule;
  /** Settled spend in the window. */
  spentMicros: bigint;
  /** Reserved by calls in flight. */
  reservedMicros: bigint;
}

export type BudgetDecision =
  | { kind: "allow"; overBudget: BudgetRule[] }
  | { kind: "alert_only"; overBudget: BudgetRule[] }
  | { kind: "downgrade"; budget: BudgetRule; downgradeRouteId: string; overBudget: BudgetRule[] }
  | { kind: "block"; budget: BudgetRule; overBudget: BudgetRule[] };

/**
 * Whether admitting `reserveMicros` more would take the budget past its limit. Every request counts as at
 * least one micro-dollar, so a budget spent to the exact limit refuses even a request whose price is unknown.
 */
export function wouldOverspend(state: BudgetState, reserveMicros: bigint): boolean {
  const atLeastOne = reserveMicros > 0n ? reserveMicros : 1n;
  return state.spentMicros + state.reservedMicros + atLeastOne > state.budget.limitMicros;
}

const SCOPE_SPECIFICITY: Record<BudgetRule["scope"], number> = { key: 0, route: 1, app: 2, tenant: 3, model: 4 };

function moreSpecificFirst(a: BudgetRule, b: BudgetRule): number {
  return SCOPE_SPECIFICITY[a.scope] - SCOPE_SPECIFICITY[b.scope] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * What to do with a request that would reserve `reserveMicros` against these budgets (all applicable, all
 * for the current window). Each budget it would overspend votes with its action and the strictest vote wins:
 * block > downgrade > alert_only > allow. Ties go to the most specific scope (key, route, app, tenant),
 * then to the lowest budget id, so the answer never depends on list order.
 *
 * A downgrade budget does not vote against a request that is already on its downgrade route: the point of
 * downgrading is to keep serving, more cheaply. A downgrade budget without a downgrade route blocks, since
 * there is nowhere cheaper to send the request.
 */
export function decideBudgets(input: {
  states: readonly BudgetState[];
  reserveMicros: bigint;
  /** The route the request is on (null for a direct model call). */
  routeId: string | null;
}): BudgetDecision {
  const over = input.states.filter((s) => wouldOverspend(s, input.reserveMicros)).map((s) => s.budget);
  over.sort(moreSpecificFirst);
  const blocking = over.find((b) => b.action === "block" || (b.action === "downgrade" && b.downgradeRouteId === null));
  if (blocking) return { kind: "block", budget: blocking, overBudget: over };
  const downgrade = over.find(
    (b) => b.action === "downgrade" && b.downgradeRouteId !== null && b.downgradeRouteId !== input.routeId,
  );
  if (downgrade && downgrade.downgradeRouteId !== null) {
    return { kind: "downgrade", budget: downgrade, downgradeRouteId: downgrade.downgradeRouteId, overBudget: over };
  }
  if (over.length > 0) return { kind: "alert_only", overBudget: over };
  return { kind: "allow", overBudget: over };
}

/** Whether settled spend has reached the soft threshold (percent of the limit). */
export function reachedSoftThreshold(budget: BudgetRule, spentMicros: bigint): boolean {
  return spentMicros * 100n >= budget.limitMicros * BigInt(budget.softThresholdPct);
}

/**
 * The AlertEvent dedupe key for a budget signal: one event per budget, kind and window, however many proxies
 * see the crossing and however often Redis is rebuilt.
 */
export function budgetAlertDedupeKey(kind: "budget_soft_threshold" | "budget_exhausted", budgetId: string, windowKey: string): string {
  return `${kind}:${budgetId}:${windowKey}`;
}
