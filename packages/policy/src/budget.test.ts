import { describe, expect, it } from "vitest";
import {
  applicableBudgets,
  budgetWindow,
  costMicros,
  decideBudgets,
  reachedSoftThreshold,
  worstCaseCostMicros,
  type BudgetRule,
} from "./budget.ts";

const iso = (d: Date | null) => d?.toISOString() ?? null;

function budget(over: Partial<BudgetRule> & Pick<BudgetRule, "id">): BudgetRule {
  return {
    name: over.id,
    scope: "tenant",
    appId: null,
    apiKeyId: null,
    routeId: null,
    period: "month",
    limitMicros: 1_000_000n,
    softThresholdPct: 80,
    action: "block",
    downgradeRouteId: null,
    ...over,
  };
}

describe("budgetWindow: calendar periods in the tenant's time zone", () => {
  it("a month in UTC runs from the 1st to the 1st", () => {
    const w = budgetWindow("month", new Date("2026-11-23T10:00:00Z"), "UTC");
    expect(w.key).toBe("month:2026-11");
    expect(iso(w.startsAt)).toBe("2026-11-01T00:00:00.000Z");
    expect(iso(w.resetsAt)).toBe("2026-12-01T00:00:00.000Z");
  });

  it("in Tokyo, 16:00 UTC on 30 November is already December", () => {
    const w = budgetWindow("month", new Date("2026-11-30T16:00:00Z"), "Asia/Tokyo");
    expect(w.key).toBe("month:2026-12");
    expect(iso(w.startsAt)).toBe("2026-11-30T15:00:00.000Z");
    expect(iso(w.resetsAt)).toBe("2026-12-31T15:00:00.000Z");
  });

  it("December rolls into January of the next year", () => {
    const w = budgetWindow("month", new Date("2026-12-15T00:00:00Z"), "UTC");
    expect(iso(w.resetsAt)).toBe("2027-01-01T00:00:00.000Z");
  });

  it("the day clocks spring forward in New York lasts 23 hours", () => {
    const w = budgetWindow("day", new Date("2026-03-08T12:00:00Z"), "America/New_York");
    expect(w.key).toBe("day:2026-03-08");
    expect(iso(w.startsAt)).toBe("2026-03-08T05:00:00.000Z");
    expect(iso(w.resetsAt)).toBe("2026-03-09T04:00:00.000Z");
  });

  it("the day clocks fall back in New York lasts 25 hours", () => {
    const w = budgetWindow("day", new Date("2026-11-01T12:00:00Z"), "America/New_York");
    expect(iso(w.startsAt)).toBe("2026-11-01T04:00:00.000Z");
    expect(iso(w.resetsAt)).toBe("2026-11-02T05:00:00.000Z");
  });

  it("where DST skips midnight (Santiago), the day starts at the first instant that exists", () => {
    const w = budgetWindow("day", new Date("2026-09-06T12:00:00Z"), "America/Santiago");
    expect(w.key).toBe("day:2026-09-06");
    expect(iso(w.startsAt)).toBe("2026-09-06T04:00:00.000Z");
    expect(iso(w.resetsAt)).toBe("2026-09-07T03:00:00.000Z");
    const before = budgetWindow("day", new Date("2026-09-06T03:59:00Z"), "America/Santiago");
    expect(before.key).toBe("day:2026-09-05");
    expect(iso(before.resetsAt)).toBe("2026-09-06T04:00:00.000Z");
  });

  it("a week is an ISO week, Monday to Monday, named by its Monday", () => {
    // Sunday 23:30 in Paris is still the week of Monday the 23rd; half an hour later the next week begins.
    expect(budgetWindow("week", new Date("2026-11-29T22:30:00Z"), "Europe/Paris").key).toBe("week:2026-11-23");
    const next = budgetWindow("week", new Date("2026-11-29T23:30:00Z"), "Europe/Paris");
    expect(next.key).toBe("week:2026-11-30");
    expect(iso(next.startsAt)).toBe("2026-11-29T23:00:00.000Z");
    expect(iso(next.resetsAt)).toBe("2026-12-06T23:00:00.000Z");
  });

  it("a week can start in the previous year", () => {
    expect(budgetWindow("week", new Date("2027-01-01T12:00:00Z"), "UTC").key).toBe("week:2026-12-28");
  });

  it("a total budget has one window that never resets", () => {
    expect(budgetWindow("total", new Date(), "UTC")).toEqual({ key: "total", startsAt: null, resetsAt: null });
  });

  it("an unknown time zone is an error, not silently UTC", () => {
    expect(() => budgetWindow("day", new Date(), "Mars/Olympus")).toThrow(RangeError);
  });
});

describe("cost in integer micro-dollars, rounded up", () => {
  const price = { inputMicrosPerMTok: 150_000n, outputMicrosPerMTok: 600_000n };

  it("worst case is every input token plus the full output allowance", () => {
    // 1000 * 0.15 + 500 * 0.6 = 150 + 300 micro-dollars
    expect(worstCaseCostMicros({ inputTokens: 1000, maxOutputTokens: 500, price })).toBe(450n);
  });

  it("a fraction of a micro-dollar rounds up once over the whole call", () => {
    // 1 * 0.15 + 1 * 0.6 = 0.75 → 1, not 1 + 1
    expect(costMicros({ inputTokens: 1, outputTokens: 1 }, price)).toBe(1n);
    expect(costMicros({ inputTokens: 0, outputTokens: 0 }, price)).toBe(0n);
  });

  it("cached input tokens are charged at the cached price when there is one", () => {
    const withCache = { ...price, cachedInputMicrosPerMTok: 75_000n };
    // 600 uncached * 0.15 + 400 cached * 0.075 + 100 * 0.6 = 90 + 30 + 60
    expect(costMicros({ inputTokens: 1000, cachedInputTokens: 400, outputTokens: 100 }, withCache)).toBe(180n);
    // No cached price (0): no discount.
    expect(costMicros({ inputTokens: 1000, cachedInputTokens: 400, outputTokens: 100 }, { ...price, cachedInputMicrosPerMTok: 0n })).toBe(210n);
  });

  it("the actual cost never exceeds the worst case for the same call", () => {
    for (const [input, out, max] of [
      [1, 0, 1],
      [999, 333, 1000],
      [12345, 4096, 4096],
    ] as const) {
      expect(costMicros({ inputTokens: input, outputTokens: out }, price)).toBeLessThanOrEqual(
        worstCaseCostMicros({ inputTokens: input, maxOutputTokens: max, price }),
      );
    }
  });

  it("stays exact far beyond floating point", () => {
    const big = { inputMicrosPerMTok: 9_007_199_254_740_993n, outputMicrosPerMTok: 0n };
    expect(worstCaseCostMicros({ inputTokens: 1_000_000, maxOutputTokens: 0, price: big })).toBe(9_007_199_254_740_993n);
  });

  it("rejects token counts that are not non-negative integers", () => {
    expect(() => costMicros({ inputTokens: -1, outputTokens: 0 }, price)).toThrow(/inputTokens/);
    expect(() => worstCaseCostMicros({ inputTokens: 1, maxOutputTokens: 1.5, price })).toThrow(/maxOutputTokens/);
  });
});

describe("which budgets apply", () => {
  const subject = { tenantId: "t", appId: "app1", apiKeyId: "key1", routeId: "route1", modelName: "m" };
  it("tenant budgets always, others when their app, key or route is the request's", () => {
    const list = [
      budget({ id: "tenant" }),
      budget({ id: "app-mine", scope: "app", appId: "app1" }),
      budget({ id: "app-other", scope: "app", appId: "app2" }),
      budget({ id: "key-mine", scope: "key", apiKeyId: "key1" }),
      budget({ id: "route-other", scope: "route", routeId: "route2" }),
      budget({ id: "route-mine", scope: "route", routeId: "route1" }),
      budget({ id: "model", scope: "model" }),
    ];
    expect(applicableBudgets(subject, list).map((b) => b.id)).toEqual(["tenant", "app-mine", "key-mine", "route-mine"]);
  });
  it("a route budget does not apply to a direct model call", () => {
    expect(applicableBudgets({ ...subject, routeId: null }, [budget({ id: "r", scope: "route", routeId: "route1" })])).toEqual([]);
  });
});

describe("decideBudgets: the strictest budget wins", () => {
  const state = (b: BudgetRule, spent: bigint, reserved = 0n) => ({ budget: b, spentMicros: spent, reservedMicros: reserved });

  it("allows when spent + reserved + this reserve fits, even exactly", () => {
    const b = budget({ id: "b", limitMicros: 100n });
    expect(decideBudgets({ states: [state(b, 60n, 30n)], reserveMicros: 10n, routeId: null }).kind).toBe("allow");
  });

  it("blocks when reservations in flight leave no room", () => {
    const b = budget({ id: "b", limitMicros: 100n });
    const d = decideBudgets({ states: [state(b, 60n, 30n)], reserveMicros: 11n, routeId: null });
    expect(d).toMatchObject({ kind: "block", budget: { id: "b" } });
  });

  it("a budget spent to the exact limit blocks even a request whose price is unknown (reserve 0)", () => {
    const b = budget({ id: "b", limitMicros: 100n });
    expect(decideBudgets({ states: [state(b, 100n)], reserveMicros: 0n, routeId: null }).kind).toBe("block");
    expect(decideBudgets({ states: [state(b, 99n)], reserveMicros: 0n, routeId: null }).kind).toBe("allow");
  });

  it("block beats downgrade beats alert_only", () => {
    const alert = budget({ id: "a", action: "alert_only", limitMicros: 1n });
    const down = budget({ id: "d", action: "downgrade", downgradeRouteId: "cheap", limitMicros: 1n });
    const block = budget({ id: "b", action: "block", limitMicros: 1n });
    expect(decideBudgets({ states: [state(alert, 5n), state(down, 5n)], reserveMicros: 1n, routeId: "r" })).toMatchObject({
      kind: "downgrade",
      downgradeRouteId: "cheap",
    });
    expect(decideBudgets({ states: [state(alert, 5n), state(down, 5n), state(block, 5n)], reserveMicros: 1n, routeId: "r" }).kind).toBe(
      "block",
    );
    expect(decideBudgets({ states: [state(alert, 5n)], reserveMicros: 1n, routeId: "r" }).kind).toBe("alert_only");
  });

  it("of two downgrades the most specific scope wins, whatever the order", () => {
    const tenant = budget({ id: "t", action: "downgrade", downgradeRouteId: "tenant-cheap", limitMicros: 1n });
    const key = budget({ id: "k", scope: "key", apiKeyId: "k1", action: "downgrade", downgradeRouteId: "key-cheap", limitMicros: 1n });
    for (const states of [
      [state(tenant, 5n), state(key, 5n)],
      [state(key, 5n), state(tenant, 5n)],
    ]) {
      expect(decideBudgets({ states, reserveMicros: 1n, routeId: "r" })).toMatchObject({ downgradeRouteId: "key-cheap" });
    }
  });

  it("a request already on the downgrade route is served (the budget only alerts)", () => {
    const down = budget({ id: "d", action: "downgrade", downgradeRouteId: "cheap", limitMicros: 1n });
    expect(decideBudgets({ states: [state(down, 5n)], reserveMicros: 1n, routeId: "cheap" }).kind).toBe("alert_only");
  });

  it("a downgrade budget with nowhere to downgrade to blocks", () => {
    const down = budget({ id: "d", action: "downgrade", downgradeRouteId: null, limitMicros: 1n });
    expect(decideBudgets({ states: [state(down, 5n)], reserveMicros: 1n, routeId: "r" }).kind).toBe("block");
  });
});

describe("soft threshold", () => {
  it("is reached at the percentage of the limit, inclusive", () => {
    const b = budget({ id: "b", limitMicros: 1000n, softThresholdPct: 80 });
    expect(reachedSoftThreshold(b, 799n)).toBe(false);
    expect(reachedSoftThreshold(b, 800n)).toBe(true);
  });
});
