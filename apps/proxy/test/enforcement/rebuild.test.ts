// Spend counters rebuilt from the request logs: a budget window Redis does not know (a new window, or one
// Redis lost) is seeded from request_logs before the first admission in it is decided.
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { budgetWindow } from "@gateway/policy/budget";
import { createEnforcer, type Enforcer } from "../../src/enforcement/enforcer.ts";
import { tenantKeys } from "../../src/enforcement/scripts.ts";
import { pgSpendSource } from "../../src/enforcement/spend-source.ts";
import { budgetRule, newTenant, readyRedis, subjectOf } from "./fixtures.ts";

let pool: pg.Pool;
let redis: Redis;
let enforcer: Enforcer;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  redis = await readyRedis();
  enforcer = createEnforcer({ redis, spendSource: pgSpendSource(pool), redisTimeoutMs: 5000 });
});

afterAll(async () => {
  enforcer.close();
  redis.disconnect();
  await pool.end();
});

async function logRequest(tenantId: string, at: Date, costMicros: bigint, over: { appId?: string; apiKeyId?: string; routeId?: string } = {}) {
  await pool.query(
    `INSERT INTO request_logs (id, created_at, tenant_id, app_id, api_key_id, route_id, requested_model, status, http_status, latency_ms, cost_micros)
     VALUES ($1, $2, $3, $4, $5, $6, 'm', 'success', 200, 10, $7)`,
    [randomUUID(), at, tenantId, over.appId ?? "app-1", over.apiKeyId ?? "key-1", over.routeId ?? "route-main", costMicros.toString()],
  );
}

describe("rebuilding spend from request logs", () => {
  it("seeds a window from the logs of that window and scope only", async () => {
    const tenant = newTenant();
    const now = new Date();
    const window = budgetWindow("month", now, tenant.timeZone);
    const inWindow = new Date(Math.min(now.getTime(), (window.startsAt as Date).getTime() + 60_000));
    for (let i = 0; i < 3; i++) await logRequest(tenant.id, inWindow, 300n);
    await logRequest(tenant.id, inWindow, 500n, { appId: "app-2" });
    await logRequest(tenant.id, new Date((window.startsAt as Date).getTime() - 86_400_000), 10_000n); // last month

    const tenantBudget = budgetRule({ limitMicros: 2_000n });
    const appBudget = budgetRule({ scope: "app", appId: "app-1", limitMicros: 1_000n });
    const base = { tenant, subject: subjectOf(tenant), rateLimits: [], estimatedTokens: 1, now };

    // Tenant: 1400 spent; 700 more would overspend, 600 fits.
    await expect(enforcer.admit({ ...base, budgets: [tenantBudget], requestId: "a", reserveMicros: 700n })).rejects.toMatchObject({
      code: "budget_exceeded",
    });
    await expect(enforcer.admit({ ...base, budgets: [tenantBudget], requestId: "b", reserveMicros: 600n })).resolves.toMatchObject({
      kind: "admitted",
    });
    // App 1: 900 spent.
    await expect(enforcer.admit({ ...base, budgets: [appBudget], requestId: "c", reserveMicros: 101n })).rejects.toMatchObject({
      code: "budget_exceeded",
    });
    const key = tenantKeys(tenant.id).budgetWindow(appBudget.id, window.key);
    expect(await redis.hget(key, "spent")).toBe("900");
    // The window's counters expire a day after it ends.
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan((window.resetsAt as Date).getTime() - Date.now());
  });

  it("rebuilds a window Redis lost", async () => {
    const tenant = newTenant();
    const now = new Date();
    const budget = budgetRule({ limitMicros: 1_000n, period: "total" });
    await logRequest(tenant.id, now, 400n);
    const base = { tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budget], estimatedTokens: 1, now };
    await enforcer.admit({ ...base, requestId: "x", reserveMicros: 1n });
    const key = tenantKeys(tenant.id).budgetWindow(budget.id, "total");
    expect(await redis.hget(key, "spent")).toBe("400");
    expect(await redis.pttl(key)).toBe(-1); // a total budget never expires

    await redis.del(key);
    await logRequest(tenant.id, now, 550n);
    await expect(enforcer.admit({ ...base, requestId: "y", reserveMicros: 51n })).rejects.toMatchObject({ code: "budget_exceeded" });
    expect(await redis.hget(key, "spent")).toBe("950");
  });

  it("rebuildSpend seeds every missing window once (for a proxy that warms up at start)", async () => {
    const tenant = newTenant();
    const budgets = [budgetRule({ limitMicros: 10n, period: "day" }), budgetRule({ limitMicros: 10n, period: "week" })];
    expect(await enforcer.rebuildSpend({ tenant, budgets })).toBe(2);
    expect(await enforcer.rebuildSpend({ tenant, budgets })).toBe(0);
  });

  it("when the logs cannot be read, a fail-closed tenant gets 503 and a fail-open one is served", async () => {
    const broken = createEnforcer({
      redis,
      redisTimeoutMs: 5000,
      spendSource: async () => {
        throw new Error("postgres is down");
      },
      onBackgroundError: () => {},
    });
    try {
      const budgets = [budgetRule({ limitMicros: 10n })];
      const closed = newTenant({ budgetFailMode: "closed" });
      await expect(
        broken.admit({ tenant: closed, subject: subjectOf(closed), rateLimits: [], budgets, estimatedTokens: 1, reserveMicros: 1n, requestId: "c" }),
      ).rejects.toMatchObject({ code: "service_unavailable" });
      const open = newTenant({ budgetFailMode: "open" });
      await expect(
        broken.admit({ tenant: open, subject: subjectOf(open), rateLimits: [], budgets, estimatedTokens: 1, reserveMicros: 1n, requestId: "o" }),
      ).resolves.toMatchObject({ mode: "local" });
    } finally {
      broken.close();
    }
  });
});
