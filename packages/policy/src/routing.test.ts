import { describe, expect, it } from "vitest";
import { GatewayError } from "./errors.ts";
import { routeVersionSpecSchema } from "./route-spec.ts";
import { pickByWeight, planRoute, upstreamMaxTokens } from "./routing.ts";

const route = (spec: Record<string, unknown>) => ({ id: "r1", name: "support-summary", version: 3, spec: routeVersionSpecSchema.parse({ riskLevel: "low", ...spec }) });
const rngOf = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe("planRoute: target order", () => {
  it("keeps the route's order: primary first, then fallbacks", () => {
    const plan = planRoute(route({ targets: [{ model: "gpt-4o-mini" }, { model: "claude-haiku" }] }), { inputTokens: 10 }, rngOf(0));
    expect(plan.targets.map((t) => [t.model, t.tier])).toEqual([["gpt-4o-mini", 0], ["claude-haiku", 1]]);
    expect(plan.upgradedBy).toBeNull();
  });

  it("applies per-target params", () => {
    const plan = planRoute(route({ targets: [{ model: "a", params: { temperature: 0.2 } }] }), { inputTokens: 1 }, rngOf(0));
    expect(plan.targets[0]!.params).toEqual({ temperature: 0.2 });
  });
});

describe("planRoute: upgrade rules", () => {
  const spec = {
    targets: [{ model: "small" }],
    upgradeRules: [
      { when: { inputTokensOver: 1000, userTier: "paid" }, targets: [{ model: "large-paid" }] },
      { when: { inputTokensOver: 1000 }, targets: [{ model: "large" }, { model: "small" }] },
      { when: { workflow: "legal" }, targets: [{ model: "careful" }] },
    ],
  };

  it("uses the route's targets when no rule matches", () => {
    const plan = planRoute(route(spec), { inputTokens: 1000, userTier: "free" }, rngOf(0));
    expect(plan.targets.map((t) => t.model)).toEqual(["small"]);
    expect(plan.upgradedBy).toBeNull();
  });

  it("input over N tokens means strictly more than N", () => {
    expect(planRoute(route(spec), { inputTokens: 1001 }, rngOf(0)).targets.map((t) => t.model)).toEqual(["large", "small"]);
  });

  it("the first rule whose every condition holds replaces the target list", () => {
    const plan = planRoute(route(spec), { inputTokens: 5000, userTier: "paid" }, rngOf(0));
    expect(plan.targets.map((t) => t.model)).toEqual(["large-paid"]);
    expect(plan.upgradedBy).toBe(0);
  });

  it("a rule with one failing condition does not apply", () => {
    const plan = planRoute(route(spec), { inputTokens: 5000, userTier: "free" }, rngOf(0));
    expect(plan.upgradedBy).toBe(1);
  });

  it("matches on workflow", () => {
    expect(planRoute(route(spec), { inputTokens: 3, workflow: "legal" }, rngOf(0)).targets[0]!.model).toBe("careful");
  });
});

describe("planRoute: balance entries", () => {
  const spec = { targets: [{ balance: [{ model: "east", weight: 3 }, { model: "west", weight: 1 }] }, { model: "fallback" }] };

  it("picks one deployment by weight; the others are that tier's alternates", () => {
    const low = planRoute(route(spec), { inputTokens: 1 }, rngOf(0.74)).targets[0]!;
    expect([low.model, low.alternates]).toEqual(["east", ["west"]]);
    const high = planRoute(route(spec), { inputTokens: 1 }, rngOf(0.76)).targets[0]!;
    expect([high.model, high.alternates]).toEqual(["west", ["east"]]);
    expect(high.deployments.map((d) => d.model)).toEqual(["west", "east"]);
  });

  it("weights default to equal shares", () => {
    const specs = [{ model: "a" }, { model: "b" }];
    expect(pickByWeight(specs, () => 0.49)).toBe(0);
    expect(pickByWeight(specs, () => 0.5)).toBe(1);
    expect(pickByWeight(specs, () => 0.999999)).toBe(1);
  });

  it("a balance entry is one tier: the next entry is still the first fallback", () => {
    const plan = planRoute(route(spec), { inputTokens: 1 }, rngOf(0));
    expect(plan.targets.map((t) => t.tier)).toEqual([0, 1]);
    expect(plan.targets[1]!.model).toBe("fallback");
  });
});

describe("planRoute: token limits", () => {
  it("rejects input over the route's max input tokens with 413 context_length_exceeded naming messages", () => {
    let thrown: unknown;
    try {
      planRoute(route({ targets: [{ model: "a" }], maxInputTokens: 100 }), { inputTokens: 101 }, rngOf(0));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    const err = thrown as GatewayError;
    expect([err.code, err.httpStatus, err.param]).toEqual(["context_length_exceeded", 413, "messages"]);
  });

  it("allows input exactly at the max", () => {
    expect(() => planRoute(route({ targets: [{ model: "a" }], maxInputTokens: 100 }), { inputTokens: 100 }, rngOf(0))).not.toThrow();
  });

  it("caps output at the route's max: a request above the cap is capped, one below keeps its value", () => {
    const r = route({ targets: [{ model: "a" }], maxOutputTokens: 500 });
    expect(planRoute(r, { inputTokens: 1, requestedMaxTokens: 2000 }, rngOf(0)).maxOutputTokens).toBe(500);
    expect(planRoute(r, { inputTokens: 1, requestedMaxTokens: 100 }, rngOf(0)).maxOutputTokens).toBe(100);
    expect(planRoute(r, { inputTokens: 1 }, rngOf(0)).maxOutputTokens).toBe(500);
  });

  it("leaves output uncapped when neither the request nor the route sets a max", () => {
    expect(planRoute(route({ targets: [{ model: "a" }] }), { inputTokens: 1 }, rngOf(0)).maxOutputTokens).toBeNull();
  });

  it("a target's own max_tokens lowers the upstream cap further", () => {
    const plan = planRoute(route({ targets: [{ model: "a", params: { max_tokens: 50 } }], maxOutputTokens: 500 }), { inputTokens: 1 }, rngOf(0));
    expect(upstreamMaxTokens(plan, plan.targets[0]!.params)).toBe(50);
  });
});
