// Redis outages: each tenant's fail mode decides. Closed refuses with a clear 503 and nothing goes
// upstream; open serves, counts in memory, and replays the counts into Redis once it is back.
import type { Redis } from "ioredis";
import net from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { budgetWindow } from "@gateway/policy/budget";
import { type AdmittedRequest, createEnforcer, type Enforcer } from "../../src/enforcement/enforcer.ts";
import { createEnforcementRedis } from "../../src/enforcement/redis-client.ts";
import { tenantKeys } from "../../src/enforcement/scripts.ts";
import { budgetRule, closedPort, CuttableRedisLink, inspector, limitRule, newTenant, subjectOf, waitFor } from "./fixtures.ts";

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});
const plain = inspector();
afterAll(() => plain.disconnect());

function enforcerOn(redis: Redis, opts: { redisTimeoutMs?: number } = {}): Enforcer {
  const e = createEnforcer({ redis, redisTimeoutMs: opts.redisTimeoutMs ?? 2000, onBackgroundError: () => {} });
  cleanup.push(() => {
    e.close();
    redis.disconnect();
  });
  return e;
}

describe("Redis unreachable (nothing listens on its port)", () => {
  async function downEnforcer() {
    const redis = createEnforcementRedis(`redis://127.0.0.1:${await closedPort()}`);
    return enforcerOn(redis);
  }

  it("fail-closed budgets: 503 service_unavailable with a message that says why", async () => {
    const enforcer = await downEnforcer();
    const tenant = newTenant({ budgetFailMode: "closed" });
    const err = await enforcer
      .admit({ requestId: "r", tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budgetRule({ limitMicros: 100n })], estimatedTokens: 1, reserveMicros: 1n })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "service_unavailable", httpStatus: 503, headers: { "retry-after": "1" } });
    expect((err as Error).message).toMatch(/unreachable.*fail closed.*not sent upstream/);
  });

  it("fail-closed rate limits: 503 as well", async () => {
    const enforcer = await downEnforcer();
    const tenant = newTenant({ rateLimitFailMode: "closed" });
    await expect(
      enforcer.admit({ requestId: "r", tenant, subject: subjectOf(tenant), rateLimits: [limitRule({ scope: "tenant", rpm: 10 })], budgets: [], estimatedTokens: 1, reserveMicros: 0n }),
    ).rejects.toMatchObject({ code: "service_unavailable" });
  });

  it("fail-open: served and counted locally, with the limits still applied in this proxy", async () => {
    const enforcer = await downEnforcer();
    const tenant = newTenant({ budgetFailMode: "open", rateLimitFailMode: "open" });
    const base = {
      tenant,
      subject: subjectOf(tenant),
      rateLimits: [limitRule({ scope: "tenant", rpm: 2 })],
      budgets: [budgetRule({ limitMicros: 1_000n })],
      estimatedTokens: 1,
      reserveMicros: 10n,
    };
    const first = await enforcer.admit({ ...base, requestId: "o1" });
    expect(first).toMatchObject({ kind: "admitted", mode: "local", headers: { "x-ratelimit-remaining-requests": "1" } });
    await enforcer.admit({ ...base, requestId: "o2" });
    await expect(enforcer.admit({ ...base, requestId: "o3" })).rejects.toMatchObject({ code: "rate_limit_exceeded" });
    expect(await enforcer.settle(first as AdmittedRequest, { costMicros: 5n, totalTokens: 1 })).toMatchObject({ outcome: "local" });
    expect(enforcer.hasPendingReconciliation()).toBe(true);
  });

  it("fail-open budgets still stop at the limit in this proxy", async () => {
    const enforcer = await downEnforcer();
    const tenant = newTenant({ budgetFailMode: "open" });
    const base = { tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budgetRule({ limitMicros: 100n })], estimatedTokens: 1, reserveMicros: 60n };
    await enforcer.admit({ ...base, requestId: "b1" });
    await expect(enforcer.admit({ ...base, requestId: "b2" })).rejects.toMatchObject({ code: "budget_exceeded" });
  });

  it("the default tenant (budgets closed, rate limits open) serves a request with only rate limits", async () => {
    const enforcer = await downEnforcer();
    const tenant = newTenant();
    await expect(
      enforcer.admit({ requestId: "d", tenant, subject: subjectOf(tenant), rateLimits: [limitRule({ scope: "tenant", rpm: 5 })], budgets: [], estimatedTokens: 1, reserveMicros: 0n }),
    ).resolves.toMatchObject({ mode: "local" });
  });
});

describe("Redis that accepts connections but never answers", () => {
  it("counts as down after the timeout instead of hanging the request", async () => {
    // Answers the client's connection handshake, then swallows every script call.
    const sockets = new Set<net.Socket>();
    const blackhole = net.createServer((s) => {
      sockets.add(s);
      s.on("data", (chunk) => {
        for (const m of chunk.toString().matchAll(/\*\d+\r\n\$\d+\r\n(\w+)\r\n/g)) {
          if (!/^eval/i.test(m[1] ?? "")) s.write("+OK\r\n");
        }
      });
    });
    await new Promise<void>((r) => blackhole.listen(0, "127.0.0.1", r));
    cleanup.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          blackhole.close(() => r());
        }),
    );
    const { Redis: IORedis } = await import("ioredis");
    const redis = new IORedis({
      port: (blackhole.address() as net.AddressInfo).port,
      host: "127.0.0.1",
      enableReadyCheck: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    await waitFor(() => redis.status === "ready", "socket connected");
    const enforcer = enforcerOn(redis, { redisTimeoutMs: 100 });
    const tenant = newTenant();
    await expect(
      enforcer.admit({ requestId: "t", tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budgetRule({ limitMicros: 5n })], estimatedTokens: 1, reserveMicros: 1n }),
    ).rejects.toMatchObject({ code: "service_unavailable" });
  });
});

describe("Redis too slow to answer in time", () => {
  it("refuses (fail-closed) and releases the reservation the late admission still made", async () => {
    const link = new CuttableRedisLink();
    await link.open();
    cleanup.push(() => link.cut());
    const redis = createEnforcementRedis(link.url, { commandTimeoutMs: 5000 });
    await waitFor(() => redis.status === "ready", "redis ready");
    const enforcer = enforcerOn(redis, { redisTimeoutMs: 100 });
    const tenant = newTenant({ budgetFailMode: "closed" });
    const budget = budgetRule({ limitMicros: 1_000n });
    const base = { tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budget], estimatedTokens: 1, reserveMicros: 500n };
    // Seed the budget window while Redis is quick.
    const warm = (await enforcer.admit({ ...base, requestId: "warm" })) as AdmittedRequest;
    await enforcer.settle(warm, { costMicros: 0n, totalTokens: 1 });

    link.delayMs = 400;
    await expect(enforcer.admit({ ...base, requestId: "late" })).rejects.toMatchObject({ code: "service_unavailable" });
    const keys = tenantKeys(tenant.id);
    await waitFor(async () => (await plain.exists(keys.settled("late"))) === 1, "the release to run");
    const windowKey = budgetWindow("month", new Date(), "UTC").key;
    expect(await plain.hget(keys.budgetWindow(budget.id, windowKey), "reserved")).toBe("0");
    expect(await plain.zscore(keys.reservations, "late")).toBeNull();
  });
});

describe("Redis lost mid-run and back again", () => {
  it("fail-open counts the outage locally and replays it into Redis on reconnect; fail-closed refuses meanwhile", async () => {
    const link = new CuttableRedisLink();
    await link.open();
    cleanup.push(() => link.cut());
    const redis = createEnforcementRedis(link.url);
    await waitFor(() => redis.status === "ready", "redis ready");
    const enforcer = enforcerOn(redis);

    const open = newTenant({ budgetFailMode: "open", rateLimitFailMode: "open" });
    const closed = newTenant({ budgetFailMode: "closed", rateLimitFailMode: "closed" });
    const budget = budgetRule({ limitMicros: 1_000_000n });
    const rateLimits = [limitRule({ scope: "tenant", rpm: 1000 })];
    const now = new Date();
    const input = (tenant: typeof open, requestId: string) => ({
      requestId,
      tenant,
      subject: subjectOf(tenant),
      rateLimits,
      budgets: [budget],
      estimatedTokens: 10,
      reserveMicros: 1_000n,
      now,
    });

    const before = (await enforcer.admit(input(open, "before"))) as AdmittedRequest;
    expect(before.mode).toBe("redis");
    await enforcer.settle(before, { costMicros: 100n, totalTokens: 10 });
    const inFlight = (await enforcer.admit(input(open, "in-flight"))) as AdmittedRequest;
    await enforcer.admit(input(closed, "closed-before"));

    await link.cut();
    await waitFor(() => redis.status !== "ready", "redis to drop");

    await expect(enforcer.admit(input(closed, "closed-during"))).rejects.toMatchObject({ code: "service_unavailable", httpStatus: 503 });
    const during1 = (await enforcer.admit(input(open, "during-1"))) as AdmittedRequest;
    const during2 = (await enforcer.admit(input(open, "during-2"))) as AdmittedRequest;
    expect([during1.mode, during2.mode]).toEqual(["local", "local"]);
    await enforcer.settle(during1, { costMicros: 200n, totalTokens: 10 });
    await enforcer.settle(during2, { costMicros: 200n, totalTokens: 10 });
    // The call admitted before the outage finishes during it: its cost is kept for replay.
    expect(await enforcer.settle(inFlight, { costMicros: 300n, totalTokens: 10 })).toMatchObject({ outcome: "local" });

    await link.open();
    await waitFor(() => redis.status === "ready", "redis to come back");
    await waitFor(() => !enforcer.hasPendingReconciliation(), "reconciliation");

    const keys = tenantKeys(open.id);
    const windowKey = budgetWindow("month", now, open.timeZone).key;
    expect(await plain.hget(keys.budgetWindow(budget.id, windowKey), "spent")).toBe(String(100 + 200 + 200 + 300));
    const counter = keys.rateCounter("tenant", open.id, "rpm", Math.floor(now.getTime() / 60_000));
    expect(await plain.get(counter)).toBe("4");

    // And the closed tenant is served again.
    await expect(enforcer.admit(input(closed, "closed-after"))).resolves.toMatchObject({ mode: "redis" });
  });
});
