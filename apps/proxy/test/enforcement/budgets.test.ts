// Budgets that hold: reservations of the worst case make a burst of parallel requests stop at the limit,
// settlement swaps reservations for real cost (long streams included), crashed reservations expire, a spent
// downgrade budget moves requests to its cheaper route, and the soft threshold alerts once per window.
import { GatewayError } from "@gateway/policy/errors";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AdmittedRequest,
  type BudgetAlert,
  createEnforcer,
  type Enforcer,
} from "../../src/enforcement/enforcer.ts";
import { tenantKeys } from "../../src/enforcement/scripts.ts";
import { budgetWindow } from "@gateway/policy/budget";
import { budgetRule, newTenant, readyRedis, subjectOf } from "./fixtures.ts";

let redisA: Redis;
let redisB: Redis;
let proxyA: Enforcer;
let proxyB: Enforcer;
const alerts: BudgetAlert[] = [];

beforeAll(async () => {
  redisA = await readyRedis();
  redisB = await readyRedis();
  proxyA = createEnforcer({ redis: redisA, redisTimeoutMs: 5000, onAlert: (a) => alerts.push(a) });
  proxyB = createEnforcer({ redis: redisB, redisTimeoutMs: 5000, onAlert: (a) => alerts.push(a) });
});

afterAll(() => {
  proxyA.close();
  proxyB.close();
  redisA.disconnect();
  redisB.disconnect();
});

async function windowCounters(tenantId: string, budgetId: string, period: "month" | "day" = "month") {
  const key = tenantKeys(tenantId).budgetWindow(budgetId, budgetWindow(period, new Date(), "UTC").key);
  const [spent, reserved] = await redisA.hmget(key, "spent", "reserved");
  return { spent: BigInt(spent ?? "0"), reserved: BigInt(reserved ?? "0") };
}

/** A deterministic stream of numbers in [0, 1), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("200 concurrent requests against a budget that fits 20", () => {
  it("never spends more than the budget plus one request's worst case, streams included", async () => {
    const tenant = newTenant();
    const worstCase = 50_000n; // micro-dollars
    const budget = budgetRule({ limitMicros: worstCase * 20n });
    const rng = seeded(42);
    let admitted = 0;
    let refused = 0;

    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const proxy = i % 2 === 0 ? proxyA : proxyB;
        const isStream = i % 3 === 0;
        let admission: AdmittedRequest;
        try {
          const a = await proxy.admit({
            requestId: `req-${i}`,
            tenant,
            subject: subjectOf(tenant),
            rateLimits: [],
            budgets: [budget],
            estimatedTokens: 1000,
            reserveMicros: worstCase,
          });
          if (a.kind !== "admitted") throw new Error("unexpected downgrade");
          admission = a;
        } catch (err) {
          expect(err).toBeInstanceOf(GatewayError);
          expect(err).toMatchObject({ code: "budget_exceeded", httpStatus: 429, type: "insufficient_quota" });
          refused++;
          return;
        }
        admitted++;
        // A stream settles only when its last chunk has gone out, long after admission.
        await sleep(isStream ? 20 + Math.floor(rng() * 60) : Math.floor(rng() * 10));
        const actual = BigInt(Math.floor(rng() * Number(worstCase))) + 1n;
        await proxy.settle(admission, { costMicros: actual, totalTokens: 500 });
      }),
    );

    const { spent, reserved } = await windowCounters(tenant.id, budget.id);
    expect(reserved).toBe(0n);
    expect(spent).toBeLessThanOrEqual(budget.limitMicros + worstCase);
    expect(admitted).toBeGreaterThanOrEqual(20);
    expect(admitted + refused).toBe(200);
    expect(refused).toBeGreaterThan(0);
  });

  it("holds with no settlement at all (every call still in flight): exactly 20 fit", async () => {
    const tenant = newTenant();
    const budget = budgetRule({ limitMicros: 20n * 7n });
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? proxyA : proxyB).admit({
          requestId: `inflight-${i}`,
          tenant,
          subject: subjectOf(tenant),
          rateLimits: [],
          budgets: [budget],
          estimatedTokens: 1,
          reserveMicros: 7n,
        }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(20);
    expect(await windowCounters(tenant.id, budget.id)).toEqual({ spent: 0n, reserved: 140n });
  });
});

describe("settlement", () => {
  it("replaces the reservation with the actual cost, once", async () => {
    const tenant = newTenant();
    const budget = budgetRule({ limitMicros: 1_000n });
    const a = (await proxyA.admit({ requestId: "s1", tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budget], estimatedTokens: 10, reserveMicros: 400n })) as AdmittedRequest;
    expect(await windowCounters(tenant.id, budget.id)).toEqual({ spent: 0n, reserved: 400n });
    expect(await proxyA.settle(a, { costMicros: 123n, totalTokens: 10 })).toMatchObject({ outcome: "settled" });
    expect(await windowCounters(tenant.id, budget.id)).toEqual({ spent: 123n, reserved: 0n });
    // A second settle of the same request (a retried settle after a lost reply) changes nothing.
    expect(await proxyB.settle(a, { costMicros: 123n, totalTokens: 10 })).toMatchObject({ outcome: "duplicate" });
    expect(await windowCounters(tenant.id, budget.id)).toEqual({ spent: 123n, reserved: 0n });
  });

  it("counts every applicable budget, and the cost of failed attempts settled with the request", async () => {
    const tenant = newTenant();
    const subject = subjectOf(tenant);
    const tenantBudget = budgetRule({ limitMicros: 10_000n });
    const keyBudget = budgetRule({ scope: "key", apiKeyId: subject.apiKeyId, limitMicros: 10_000n, period: "day" });
    const otherKey = budgetRule({ scope: "key", apiKeyId: "someone-else", limitMicros: 10_000n });
    const a = (await proxyA.admit({ requestId: "multi", tenant, subject, rateLimits: [], budgets: [tenantBudget, keyBudget, otherKey], estimatedTokens: 1, reserveMicros: 900n })) as AdmittedRequest;
    expect(a.budgets.map((h) => h.budget.id)).toEqual([keyBudget.id, tenantBudget.id]);
    // Two attempts: a failed one that cost 40 and the successful one that cost 300.
    await proxyA.settle(a, { costMicros: 40n + 300n, totalTokens: 1 });
    expect((await windowCounters(tenant.id, tenantBudget.id)).spent).toBe(340n);
    expect((await windowCounters(tenant.id, keyBudget.id, "day")).spent).toBe(340n);
  });

  it("a reservation whose proxy crashed expires and gives its room back", async () => {
    const tenant = newTenant();
    const budget = budgetRule({ limitMicros: 1_000n });
    const t0 = new Date();
    const base = { tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budget], estimatedTokens: 1 };
    // Admitted, then the proxy "dies": no settle ever comes.
    await proxyA.admit({ ...base, requestId: "crashed", reserveMicros: 800n, now: t0, reservationTtlMs: 60_000 });
    await expect(proxyB.admit({ ...base, requestId: "blocked", reserveMicros: 800n, now: new Date(t0.getTime() + 1_000) })).rejects.toMatchObject({
      code: "budget_exceeded",
    });
    // Past the reservation's expiry, the next admission sweeps it.
    const later = await proxyB.admit({ ...base, requestId: "after-expiry", reserveMicros: 800n, now: new Date(t0.getTime() + 61_000) });
    expect(later.kind).toBe("admitted");
    expect(await windowCounters(tenant.id, budget.id)).toEqual({ spent: 0n, reserved: 800n });
  });

  it("a call that outlives its reservation still has its cost counted, and releases nothing twice", async () => {
    const tenant = newTenant();
    const budget = budgetRule({ limitMicros: 1_000n });
    const t0 = new Date();
    const base = { tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budget], estimatedTokens: 1 };
    const slow = (await proxyA.admit({ ...base, requestId: "slow", reserveMicros: 500n, now: t0, reservationTtlMs: 1_000 })) as AdmittedRequest;
    // Another request sweeps the slow one's reservation and reserves its own.
    const next = (await proxyB.admit({ ...base, requestId: "next", reserveMicros: 300n, now: new Date(t0.getTime() + 5_000) })) as AdmittedRequest;
    expect(await windowCounters(tenant.id, budget.id)).toEqual({ spent: 0n, reserved: 300n });
    await proxyA.settle(slow, { costMicros: 450n, totalTokens: 1 });
    expect(await windowCounters(tenant.id, budget.id)).toEqual({ spent: 450n, reserved: 300n });
    await proxyB.settle(next, { costMicros: 100n, totalTokens: 1 });
    expect(await windowCounters(tenant.id, budget.id)).toEqual({ spent: 550n, reserved: 0n });
  });
});

describe("more reservation for an extra attempt", () => {
  it("grows the reservation while a block budget has room, refuses when it has not, and settles all of it", async () => {
    const tenant = newTenant();
    const block = budgetRule({ limitMicros: 1_000n });
    const alertOnly = budgetRule({ scope: "key", apiKeyId: "key-1", limitMicros: 10n, action: "alert_only" });
    const a = (await proxyA.admit({ requestId: "retry", tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [block, alertOnly], estimatedTokens: 1, reserveMicros: 400n })) as AdmittedRequest;
    await proxyB.reserveMore(a, 400n);
    expect(a.reserveMicros).toBe(800n);
    expect(await windowCounters(tenant.id, block.id)).toEqual({ spent: 0n, reserved: 800n });
    await expect(proxyA.reserveMore(a, 201n)).rejects.toMatchObject({ code: "budget_exceeded", type: "insufficient_quota" });
    expect(await windowCounters(tenant.id, block.id)).toEqual({ spent: 0n, reserved: 800n });
    // Two attempts cost 120 + 380 in all.
    await proxyA.settle(a, { costMicros: 500n, totalTokens: 1 });
    expect(await windowCounters(tenant.id, block.id)).toEqual({ spent: 500n, reserved: 0n });
    expect(await windowCounters(tenant.id, alertOnly.id)).toEqual({ spent: 500n, reserved: 0n });
  });
});

describe("budget actions", () => {
  it("downgrade: a spent budget sends the request to the cheaper route, which is then served", async () => {
    const tenant = newTenant();
    const subject = subjectOf(tenant, { routeId: "route-premium" });
    const budget = budgetRule({ scope: "app", appId: subject.appId, limitMicros: 100n, action: "downgrade", downgradeRouteId: "route-cheap" });
    const base = { tenant, rateLimits: [], budgets: [budget], estimatedTokens: 1 };
    const first = (await proxyA.admit({ ...base, subject, requestId: "d1", reserveMicros: 100n })) as AdmittedRequest;
    await proxyA.settle(first, { costMicros: 100n, totalTokens: 1 });

    const verdict = await proxyA.admit({ ...base, subject, requestId: "d2", reserveMicros: 10n });
    expect(verdict).toEqual({ kind: "downgrade", budgetId: budget.id, budgetName: budget.name, downgradeRouteId: "route-cheap" });
    // The pipeline admits again on the downgrade route: served, and its cost still counts.
    const onCheap = await proxyA.admit({ ...base, subject: { ...subject, routeId: "route-cheap" }, requestId: "d2", reserveMicros: 2n });
    expect(onCheap).toMatchObject({ kind: "admitted", mode: "redis" });
    await proxyA.settle(onCheap as AdmittedRequest, { costMicros: 1n, totalTokens: 1 });
    expect((await windowCounters(tenant.id, budget.id)).spent).toBe(101n);
  });

  it("a budget spent to the exact limit blocks a request with no price (reserve 0)", async () => {
    const tenant = newTenant();
    const budget = budgetRule({ limitMicros: 100n });
    const base = { tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budget], estimatedTokens: 1 };
    const a = (await proxyA.admit({ ...base, requestId: "exact", reserveMicros: 100n })) as AdmittedRequest;
    await proxyA.settle(a, { costMicros: 100n, totalTokens: 1 });
    await expect(proxyB.admit({ ...base, requestId: "free", reserveMicros: 0n })).rejects.toMatchObject({ code: "budget_exceeded" });
  });

  it("block beats downgrade when both budgets are spent", async () => {
    const tenant = newTenant();
    const down = budgetRule({ limitMicros: 1n, action: "downgrade", downgradeRouteId: "route-cheap" });
    const block = budgetRule({ scope: "key", apiKeyId: "key-1", limitMicros: 1n, action: "block" });
    await expect(
      proxyA.admit({ tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [down, block], estimatedTokens: 1, reserveMicros: 5n, requestId: "x" }),
    ).rejects.toMatchObject({ code: "budget_exceeded", type: "insufficient_quota" });
  });

  it("alert_only: over the limit, still served", async () => {
    const tenant = newTenant();
    const budget = budgetRule({ limitMicros: 10n, action: "alert_only" });
    const a = await proxyA.admit({ tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budget], estimatedTokens: 1, reserveMicros: 500n, requestId: "ao" });
    expect(a.kind).toBe("admitted");
  });

  it("soft threshold and exhaustion each alert once per window, across proxies", async () => {
    const tenant = newTenant();
    const budget = budgetRule({ limitMicros: 1_000n, softThresholdPct: 50, action: "alert_only" });
    const base = { tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budget], estimatedTokens: 1, reserveMicros: 300n };
    for (let i = 0; i < 6; i++) {
      const proxy = i % 2 ? proxyA : proxyB;
      const a = (await proxy.admit({ ...base, requestId: `soft-${i}` })) as AdmittedRequest;
      await proxy.settle(a, { costMicros: 300n, totalTokens: 1 });
    }
    const mine = alerts.filter((x) => x.tenantId === tenant.id);
    const windowKey = budgetWindow("month", new Date(), "UTC").key;
    expect(mine.map((x) => [x.kind, x.spentMicros])).toEqual([
      ["budget_soft_threshold", 600n],
      ["budget_exhausted", 1200n],
    ]);
    expect(mine[0]?.dedupeKey).toBe(`budget_soft_threshold:${budget.id}:${windowKey}`);
  });
});
