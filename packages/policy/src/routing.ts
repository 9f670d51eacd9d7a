// Turns a route version and the facts of one request into the ordered list of targets to try: upgrade
// rules first, then one deployment per `balance` entry picked by weight, plus the input/output token caps.
// Pure: the caller passes `rng`, so the dashboard's simulator and the tests get the same answers.
import { GatewayError } from "./errors.ts";
import type { RouteVersionSpec, TargetEntry, TargetParams, TargetSpec, UpgradeRule } from "./route-spec.ts";

export interface RouteForPlanning {
  id: string;
  name: string;
  version: number;
  spec: RouteVersionSpec;
}

export interface RoutingFacts {
  inputTokens: number;
  userTier?: string | null;
  workflow?: string | null;
  /** `max_tokens` / `max_completion_tokens` of the request, if the client set one. */
  requestedMaxTokens?: number | null;
}

export interface PlannedTarget {
  /** The tenant's model name picked for this tier. */
  model: string;
  params: TargetParams;
  /** Position in the (possibly upgraded) target list: 0 is the primary, 1 the first fallback, ... */
  tier: number;
  /** The other deployments of the same `balance` entry, in list order: used for a same-tier retry. */
  alternates: string[];
  /** Every deployment of this tier (the picked one first) with its own params. */
  deployments: Array<{ model: string; params: TargetParams }>;
}

export interface RoutePlan {
  targets: PlannedTarget[];
  /** The output cap for every attempt: min(requested, route max); null when neither sets one. */
  maxOutputTokens: number | null;
  /** Index of the upgrade rule that replaced the target list, or null. */
  upgradedBy: number | null;
}

export type Rng = () => number;

/** Does every condition of the rule hold for this request? */
export function upgradeRuleMatches(rule: UpgradeRule, facts: RoutingFacts): boolean {
  const w = rule.when;
  if (w.inputTokensOver !== undefined && !(facts.inputTokens > w.inputTokensOver)) return false;
  if (w.userTier !== undefined && facts.userTier !== w.userTier) return false;
  if (w.workflow !== undefined && facts.workflow !== w.workflow) return false;
  return true;
}

/** The first upgrade rule whose every condition holds, or null. */
export function matchingUpgradeRule(rules: UpgradeRule[], facts: RoutingFacts): number | null {
  const i = rules.findIndex((r) => upgradeRuleMatches(r, facts));
  return i === -1 ? null : i;
}

/** Picks one deployment by weight (default 1). `rng` returns [0, 1). */
export function pickByWeight(deployments: TargetSpec[], rng: Rng): number {
  const weights = deployments.map((d) => d.weight ?? 1);
  const total = weights.reduce((a, b) => a + b, 0);
  let point = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    point -= weights[i] ?? 0;
    if (point < 0) return i;
  }
  return deployments.length - 1;
}

function planEntry(entry: TargetEntry, tier: number, rng: Rng): PlannedTarget {
  if (!("balance" in entry)) {
    const params = entry.params ?? {};
    return { model: entry.model, params, tier, alternates: [], deployments: [{ model: entry.model, params }] };
  }
  const picked = pickByWeight(entry.balance, rng);
  const ordered = [entry.balance[picked]!, ...entry.balance.filter((_, i) => i !== picked)];
  const deployments = ordered.map((d) => ({ model: d.model, params: d.params ?? {} }));
  return {
    model: deployments[0]!.model,
    params: deployments[0]!.params,
    tier,
    alternates: deployments.slice(1).map((d) => d.model),
    deployments,
  };
}

/**
 * Plans a request on a route. Throws `context_length_exceeded` (413, param `messages`) when the input is over
 * the route's max input tokens, so no upstream call is made. A requested output above the route's cap is
 * capped to it (the route's cap is the product owner's limit on spend per call, not the client's choice).
 */
export function planRoute(route: RouteForPlanning, facts: RoutingFacts, rng: Rng): RoutePlan {
  const { spec } = route;
  if (spec.maxInputTokens !== null && facts.inputTokens > spec.maxInputTokens) {
    throw new GatewayError(
      "context_length_exceeded",
      `This request has ${facts.inputTokens} input tokens; route '${route.name}' allows at most ${spec.maxInputTokens}.`,
      { param: "messages" },
    );
  }
  const upgradedBy = matchingUpgradeRule(spec.upgradeRules, facts);
  const entries = upgradedBy === null ? spec.targets : spec.upgradeRules[upgradedBy]!.targets;
  return {
    targets: entries.map((e, tier) => planEntry(e, tier, rng)),
    maxOutputTokens: minOrNull(facts.requestedMaxTokens ?? null, spec.maxOutputTokens),
    upgradedBy,
  };
}

/** The `max_tokens` to send upstream for one deployment: the plan's cap and the deployment's own override. */
export function upstreamMaxTokens(plan: RoutePlan, params: TargetParams): number | null {
  return minOrNull(plan.maxOutputTokens, params.max_tokens ?? null);
}

function minOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
