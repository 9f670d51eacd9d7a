// The whole admission decision on given counters: the rule the proxy's Lua script applies atomically in
// Redis, here as a pure function for the dashboard's policy simulator ("would this request pass, and if not,
// why?") and for checking that the script and the policy agree.
import {
  applicableBudgets,
  budgetWindow,
  decideBudgets,
  type BudgetDecision,
  type BudgetRule,
  type BudgetWindow,
} from "./budget.ts";
import {
  applicableLimits,
  type ApplicableLimit,
  checkWindow,
  type LimitState,
  RATE_WINDOW_MS,
  type RateLimitRule,
  rateLimitHeaders,
  type RequestSubject,
  retryAfterSeconds,
  type WindowCheck,
} from "./limits.ts";

export interface AdmissionCounters {
  /** Per limit counter ("<scope>:<subject>:<kind>", as ApplicableLimit): requests or tokens in the current and previous windows. */
  rate?: Readonly<Record<string, { current: number; previous: number }>>;
  /** Per budget id: spend and reservations in the current window. */
  budgets?: Readonly<Record<string, { spentMicros: bigint; reservedMicros: bigint }>>;
}

export interface AdmissionPreviewInput {
  subject: RequestSubject;
  rateLimits: readonly RateLimitRule[];
  key?: { rpm: number | null; tpm: number | null };
  budgets: readonly BudgetRule[];
  timeZone: string;
  now: Date;
  estimatedTokens: number;
  reserveMicros: bigint;
  counters: AdmissionCounters;
}

export type AdmissionVerdict =
  | { kind: "admit"; headers: Record<string, string> }
  | { kind: "downgrade"; budget: BudgetRule; downgradeRouteId: string }
  | { kind: "budget_exceeded"; budget: BudgetRule; window: BudgetWindow }
  | { kind: "rate_limited"; limit: ApplicableLimit; retryAfterSeconds: number; headers: Record<string, string> };

export interface AdmissionPreview {
  verdict: AdmissionVerdict;
  limits: { limit: ApplicableLimit; check: WindowCheck }[];
  budgets: { budget: BudgetRule; window: BudgetWindow; spentMicros: bigint; reservedMicros: bigint }[];
  budgetDecision: BudgetDecision;
}

export function counterId(limit: Pick<ApplicableLimit, "scope" | "subject" | "kind">): string {
  return `${limit.scope}:${limit.subject}:${limit.kind}`;
}

/**
 * Budgets first (a spent block budget refuses, a spent downgrade budget redirects, whatever the rate limits
 * say), then every rate limit; of several refusing limits the one with the longest wait is reported.
 */
export function previewAdmission(input: AdmissionPreviewInput): AdmissionPreview {
  const budgets = applicableBudgets(input.subject, input.budgets).map((budget) => {
    const c = input.counters.budgets?.[budget.id];
    return {
      budget,
      window: budgetWindow(budget.period, input.now, input.timeZone),
      spentMicros: c?.spentMicros ?? 0n,
      reservedMicros: c?.reservedMicros ?? 0n,
    };
  });
  const budgetDecision = decideBudgets({ states: budgets, reserveMicros: input.reserveMicros, routeId: input.subject.routeId });
  const elapsedMs = input.now.getTime() % RATE_WINDOW_MS;
  const limits = applicableLimits({ subject: input.subject, rateLimits: input.rateLimits, key: input.key }).map((limit) => {
    const c = input.counters.rate?.[counterId(limit)];
    const check = checkWindow({
      current: c?.current ?? 0,
      previous: c?.previous ?? 0,
      elapsedMs,
      windowMs: RATE_WINDOW_MS,
      limit: limit.limit,
      cost: limit.kind === "rpm" ? 1 : input.estimatedTokens,
    });
    return { limit, check };
  });

  const base = { limits, budgets, budgetDecision };
  if (budgetDecision.kind === "block") {
    const b = budgets.find((x) => x.budget.id === budgetDecision.budget.id);
    if (!b) throw new Error("budget decision named a budget that does not apply");
    return { ...base, verdict: { kind: "budget_exceeded", budget: b.budget, window: b.window } };
  }
  if (budgetDecision.kind === "downgrade") {
    return { ...base, verdict: { kind: "downgrade", budget: budgetDecision.budget, downgradeRouteId: budgetDecision.downgradeRouteId } };
  }
  const states: LimitState[] = limits.map(({ limit, check }) => ({
    kind: limit.kind,
    limit: limit.limit,
    remaining: check.remaining,
    resetMs: check.resetMs,
  }));
  const headers = rateLimitHeaders(states);
  let refused: { limit: ApplicableLimit; check: WindowCheck } | undefined;
  for (const l of limits) {
    if (!l.check.allowed && (!refused || l.check.retryAfterMs > refused.check.retryAfterMs)) refused = l;
  }
  if (refused) {
    return {
      ...base,
      verdict: { kind: "rate_limited", limit: refused.limit, retryAfterSeconds: retryAfterSeconds(refused.check.retryAfterMs), headers },
    };
  }
  return { ...base, verdict: { kind: "admit", headers } };
}
