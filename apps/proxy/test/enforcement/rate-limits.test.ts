// Rate limits across proxies: two enforcers on separate connections share one RPM limit exactly, TPM is
// counted by estimate and corrected by real usage, and a refusal carries Retry-After and OpenAI's headers.
import { GatewayError } from "@gateway/policy/errors";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdmittedRequest, createEnforcer, type Enforcer } from "../../src/enforcement/enforcer.ts";
import { limitRule, midWindow, newTenant, readyRedis, subjectOf } from "./fixtures.ts";

let redisA: Redis;
let redisB: Redis;
let proxyA: Enforcer;
let proxyB: Enforcer;

beforeAll(async () => {
  redisA = await readyRedis();
  redisB = await readyRedis();
  proxyA = createEnforcer({ redis: redisA, redisTimeoutMs: 2000 });
  proxyB = createEnforcer({ redis: redisB, redisTimeoutMs: 2000 });
});

afterAll(() => {
  proxyA.close();
  proxyB.close();
  redisA.disconnect();
  redisB.disconnect();
});

describe("RPM shared by two proxies", () => {
  it("admits exactly the limit across both and refuses the rest with 429, Retry-After and rate-limit headers", async () => {
    const tenant = newTenant();
    const rateLimits = [limitRule({ scope: "tenant", rpm: 25 })];
    const now = midWindow();
    const attempts = Array.from({ length: 80 }, (_, i) =>
      (i % 2 === 0 ? proxyA : proxyB).admit({
        requestId: `req-${i}`,
        tenant,
        subject: subjectOf(tenant),
        rateLimits,
        budgets: [],
        estimatedTokens: 10,
        reserveMicros: 0n,
        now,
      }),
    );
    const results = await Promise.allSettled(attempts);
    const admitted = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(admitted).toHaveLength(25);
    expect(refused).toHaveLength(55);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(GatewayError);
      const err = r.reason as GatewayError;
      expect(err).toMatchObject({ code: "rate_limit_exceeded", httpStatus: 429, type: "rate_limit_error" });
      expect(Number(err.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(err.headers["x-ratelimit-limit-requests"]).toBe("25");
      expect(err.headers["x-ratelimit-remaining-requests"]).toBe("0");
    }
  });

  it("reports remaining requests on admitted requests, the tightest limit first", async () => {
    const tenant = newTenant();
    const subject = subjectOf(tenant);
    const rateLimits = [limitRule({ scope: "tenant", rpm: 100 }), limitRule({ scope: "route", routeId: subject.routeId, rpm: 3 })];
    const now = midWindow();
    const first = (await proxyA.admit({ requestId: "r1", tenant, subject, rateLimits, budgets: [], estimatedTokens: 1, reserveMicros: 0n, now })) as AdmittedRequest;
    expect(first.headers).toMatchObject({ "x-ratelimit-limit-requests": "3", "x-ratelimit-remaining-requests": "2" });
    // A different route of the same tenant only meets the tenant limit.
    const other = (await proxyB.admit({
      requestId: "r2",
      tenant,
      subject: { ...subject, routeId: "route-other" },
      rateLimits,
      budgets: [],
      estimatedTokens: 1,
      reserveMicros: 0n,
      now,
    })) as AdmittedRequest;
    expect(other.headers).toMatchObject({ "x-ratelimit-limit-requests": "100", "x-ratelimit-remaining-requests": "98" });
  });

  it("the key's own rpm applies to that key only", async () => {
    const tenant = newTenant();
    const now = midWindow();
    const admitAs = (apiKeyId: string, i: number) =>
      proxyA.admit({
        requestId: `${apiKeyId}-${i}`,
        tenant,
        subject: subjectOf(tenant, { apiKeyId }),
        rateLimits: [],
        key: { rpm: 2, tpm: null },
        budgets: [],
        estimatedTokens: 1,
        reserveMicros: 0n,
        now,
      });
    await admitAs("k1", 1);
    await admitAs("k1", 2);
    await expect(admitAs("k1", 3)).rejects.toMatchObject({ code: "rate_limit_exceeded" });
    await expect(admitAs("k2", 1)).resolves.toMatchObject({ kind: "admitted" });
  });
});

describe("TPM by estimate, corrected by real usage", () => {
  it("counts the estimate at admission and the actual after settle", async () => {
    const tenant = newTenant();
    const subject = subjectOf(tenant);
    const rateLimits = [limitRule({ scope: "model", modelName: "model-a", tpm: 1000 })];
    const now = midWindow();
    const admit = (id: string) =>
      proxyA.admit({ requestId: id, tenant, subject, rateLimits, budgets: [], estimatedTokens: 600, reserveMicros: 0n, now });

    const first = (await admit("t1")) as AdmittedRequest;
    expect(first.headers["x-ratelimit-remaining-tokens"]).toBe("400");
    // 600 estimated + 600 > 1000.
    const refused = await admit("t2").catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "rate_limit_exceeded" });
    expect((refused as GatewayError).headers["x-ratelimit-remaining-tokens"]).toBe("400");

    // The call used 100 tokens, not 600: the window now holds 100 and another 600-token estimate fits.
    await proxyB.settle(first, { costMicros: 0n, totalTokens: 100 });
    const third = (await admit("t3")) as AdmittedRequest;
    expect(third.headers["x-ratelimit-remaining-tokens"]).toBe("300");

    // Usage above the estimate is counted too.
    await proxyA.settle(third, { costMicros: 0n, totalTokens: 850 });
    await expect(admit("t4")).rejects.toMatchObject({ code: "rate_limit_exceeded" });
  });

  it("a request whose estimate alone exceeds the TPM limit is refused with a full window's wait", async () => {
    const tenant = newTenant();
    const err = await proxyA
      .admit({
        requestId: "huge",
        tenant,
        subject: subjectOf(tenant),
        rateLimits: [limitRule({ scope: "tenant", tpm: 100 })],
        budgets: [],
        estimatedTokens: 101,
        reserveMicros: 0n,
        now: midWindow(),
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "rate_limit_exceeded", headers: { "retry-after": "60" } });
  });
});

describe("one round trip", () => {
  it("checks and counts every limit and budget of a request with a single Redis command", async () => {
    const tenant = newTenant();
    const subject = subjectOf(tenant);
    const commands: string[] = [];
    const counting = new Proxy(redisA, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof prop === "string" && typeof value === "function" && ["evalsha", "eval", "hmget", "hexists", "get", "incrby"].includes(prop)) {
          return (...args: unknown[]) => {
            commands.push(prop);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return value;
      },
    });
    const enforcer = createEnforcer({ redis: counting, redisTimeoutMs: 2000 });
    const input = {
      tenant,
      subject,
      rateLimits: [
        limitRule({ scope: "tenant", rpm: 100, tpm: 100_000 }),
        limitRule({ scope: "app", appId: subject.appId, rpm: 50 }),
        limitRule({ scope: "route", routeId: subject.routeId, tpm: 10_000 }),
        limitRule({ scope: "model", modelName: subject.modelName, rpm: 20 }),
      ],
      key: { rpm: 10, tpm: 5_000 },
      budgets: [
        { id: `b-${tenant.id}-1`, name: "t", scope: "tenant" as const, appId: null, apiKeyId: null, routeId: null, period: "day" as const, limitMicros: 10_000n, softThresholdPct: 80, action: "block" as const, downgradeRouteId: null },
        { id: `b-${tenant.id}-2`, name: "k", scope: "key" as const, appId: null, apiKeyId: subject.apiKeyId, routeId: null, period: "month" as const, limitMicros: 10_000n, softThresholdPct: 80, action: "alert_only" as const, downgradeRouteId: null },
      ],
      estimatedTokens: 100,
      reserveMicros: 10n,
      now: midWindow(),
    };
    // The first admission of a window seeds the budget windows (and loads the script): not the steady state.
    const warm = (await enforcer.admit({ ...input, requestId: "warm" })) as AdmittedRequest;
    await enforcer.settle(warm, { costMicros: 1n, totalTokens: 50 });
    commands.length = 0;
    const a = (await enforcer.admit({ ...input, requestId: "steady" })) as AdmittedRequest;
    expect(commands).toEqual(["evalsha"]);
    expect(a.headers["x-ratelimit-limit-requests"]).toBe("10");
    commands.length = 0;
    await enforcer.settle(a, { costMicros: 1n, totalTokens: 50 });
    expect(commands).toEqual(["evalsha"]);
    enforcer.close();
  });
});

describe("no limits and no budgets", () => {
  it("admits without touching Redis", async () => {
    const tenant = newTenant();
    const a = await proxyA.admit({ requestId: "free", tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [], estimatedTokens: 5, reserveMicros: 5n });
    expect(a).toMatchObject({ kind: "admitted", mode: "none", headers: {} });
    expect(await redisA.keys(`{t:${tenant.id}}*`)).toEqual([]);
  });
});
