// The Lua admission script and the policy's previewAdmission must give the same answer on the same counters:
// the dashboard's simulator shows what the proxy will do. Random configurations and counters, seeded so a
// failure can be replayed.
import { previewAdmission, counterId } from "@gateway/policy/admission";
import type { BudgetRule } from "@gateway/policy/budget";
import { GatewayError } from "@gateway/policy/errors";
import { applicableLimits, type RateLimitRule } from "@gateway/policy/limits";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEnforcer, type Enforcer } from "../../src/enforcement/enforcer.ts";
import { tenantKeys } from "../../src/enforcement/scripts.ts";
import { budgetWindow } from "@gateway/policy/budget";
import { newTenant, readyRedis, subjectOf } from "./fixtures.ts";

let redis: Redis;
let enforcer: Enforcer;
beforeAll(async () => {
  redis = await readyRedis();
  enforcer = createEnforcer({ redis, redisTimeoutMs: 5000 });
});
afterAll(() => {
  enforcer.close();
  redis.disconnect();
});

function seeded(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T };
}

describe("script and policy agree", () => {
  it("on 150 random configurations and counters", async () => {
    const rng = seeded(20261123);
    const seen = new Set<string>();
    for (let n = 0; n < 150; n++) {
      const tenant = newTenant({ timeZone: rng.pick(["UTC", "Asia/Tokyo", "America/New_York"]) });
      const subject = subjectOf(tenant, { routeId: rng.pick(["route-main", "route-cheap"]) });
      const now = new Date(Math.floor(Date.now() / 60_000) * 60_000 + rng.int(0, 59_999));
      const rateLimits: RateLimitRule[] = [];
      for (let i = rng.int(0, 3); i > 0; i--) {
        const scope = rng.pick(["tenant", "app", "key", "route", "model"] as const);
        rateLimits.push({
          id: `l${n}-${i}`,
          scope,
          appId: scope === "app" ? subject.appId : null,
          apiKeyId: scope === "key" ? subject.apiKeyId : null,
          routeId: scope === "route" ? subject.routeId : null,
          modelName: scope === "model" ? subject.modelName : null,
          rpm: rng.next() < 0.7 ? rng.int(1, 20) : null,
          tpm: rng.next() < 0.5 ? rng.int(50, 2000) : null,
        });
      }
      const key = rng.next() < 0.3 ? { rpm: rng.int(1, 20), tpm: null } : undefined;
      const budgets: BudgetRule[] = [];
      for (let i = rng.int(0, 3); i > 0; i--) {
        const scope = rng.pick(["tenant", "app", "key", "route"] as const);
        const action = rng.pick(["block", "downgrade", "alert_only"] as const);
        budgets.push({
          id: `b${n}-${i}`,
          name: `b${i}`,
          scope,
          appId: scope === "app" ? subject.appId : null,
          apiKeyId: scope === "key" ? subject.apiKeyId : null,
          routeId: scope === "route" ? subject.routeId : null,
          period: rng.pick(["day", "week", "month", "total"] as const),
          limitMicros: BigInt(rng.int(100, 1000)),
          softThresholdPct: 80,
          action,
          downgradeRouteId: action === "downgrade" ? rng.pick([null, "route-cheap", "route-cheaper"]) : null,
        });
      }
      const estimatedTokens = rng.int(0, 500);
      const reserveMicros = BigInt(rng.int(0, 300));

      // Seed Redis and the preview with the same counters.
      const keys = tenantKeys(tenant.id);
      const windowIndex = Math.floor(now.getTime() / 60_000);
      const rate: Record<string, { current: number; previous: number }> = {};
      for (const l of applicableLimits({ subject, rateLimits, key })) {
        const c = { current: rng.int(0, l.limit + 2), previous: rng.int(0, l.limit * 2) };
        rate[counterId(l)] = c;
        await redis.set(keys.rateCounter(l.scope, l.subject, l.kind, windowIndex), c.current, "PX", 180_000);
        await redis.set(keys.rateCounter(l.scope, l.subject, l.kind, windowIndex - 1), c.previous, "PX", 180_000);
      }
      const budgetCounts: Record<string, { spentMicros: bigint; reservedMicros: bigint }> = {};
      for (const b of budgets) {
        const c = { spentMicros: BigInt(rng.int(0, Number(b.limitMicros) + 50)), reservedMicros: BigInt(rng.int(0, 200)) };
        budgetCounts[b.id] = c;
        const hash = keys.budgetWindow(b.id, budgetWindow(b.period, now, tenant.timeZone).key);
        await redis.hset(hash, { spent: c.spentMicros.toString(), reserved: c.reservedMicros.toString(), init: "1" });
        await redis.pexpire(hash, 600_000);
      }

      const preview = previewAdmission({
        subject,
        rateLimits,
        key,
        budgets,
        timeZone: tenant.timeZone,
        now,
        estimatedTokens,
        reserveMicros,
        counters: { rate, budgets: budgetCounts },
      });
      const context = `case ${n}: ${JSON.stringify({ rateLimits, key, budgets, rate, estimatedTokens, reserve: reserveMicros, at: now }, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`;
      let actual: unknown;
      try {
        actual = await enforcer.admit({ requestId: `agree-${n}`, tenant, subject, rateLimits, key, budgets, estimatedTokens, reserveMicros, now });
      } catch (err) {
        actual = err;
      }
      const v = preview.verdict;
      seen.add(v.kind);
      if (v.kind === "admit") {
        expect(actual, context).toMatchObject({ kind: "admitted", headers: v.headers });
      } else if (v.kind === "downgrade") {
        expect(actual, context).toMatchObject({ kind: "downgrade", budgetId: v.budget.id, downgradeRouteId: v.downgradeRouteId });
      } else if (v.kind === "budget_exceeded") {
        expect(actual, context).toBeInstanceOf(GatewayError);
        expect(actual, context).toMatchObject({ code: "budget_exceeded" });
        expect((actual as Error).message, context).toContain(`'${v.budget.name}'`);
      } else {
        expect(actual, context).toBeInstanceOf(GatewayError);
        expect(actual, context).toMatchObject({
          code: "rate_limit_exceeded",
          headers: { ...v.headers, "retry-after": String(v.retryAfterSeconds) },
        });
      }
    }
    // The cases reached every kind of answer, so the agreement means something.
    expect([...seen].sort()).toEqual(["admit", "budget_exceeded", "downgrade", "rate_limited"]);
  });
});
