// A proxy whose event loop was busy past the Redis deadline must still take the answer that arrived in the
// meantime: Redis was prompt, so a fail-closed tenant must not be refused as if Redis were down.
import { afterAll, describe, expect, it } from "vitest";
import { createEnforcer } from "../../src/enforcement/enforcer.ts";
import { createEnforcementRedis } from "../../src/enforcement/redis-client.ts";
import { budgetRule, newTenant, REDIS_URL, subjectOf, waitFor } from "./fixtures.ts";

const redis = createEnforcementRedis(REDIS_URL);
afterAll(() => redis.disconnect());

describe("a busy event loop", () => {
  it("accepts the answer Redis gave while the loop was blocked past the deadline", async () => {
    await waitFor(() => redis.status === "ready", "redis ready");
    const enforcer = createEnforcer({ redis, redisTimeoutMs: 100, onBackgroundError: () => {} });
    const tenant = newTenant({ budgetFailMode: "closed" });
    const base = { tenant, subject: subjectOf(tenant), rateLimits: [], budgets: [budgetRule({ limitMicros: 1_000_000n })], estimatedTokens: 1, reserveMicros: 10n };
    await enforcer.admit({ ...base, requestId: "warm" });

    const pending = enforcer.admit({ ...base, requestId: "busy" });
    // Let the command reach Redis, then keep the loop busy well past the 100 ms deadline.
    await new Promise((r) => setImmediate(r));
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // busy: Redis answers meanwhile
    }
    await expect(pending).resolves.toMatchObject({ kind: "admitted", mode: "redis" });
    enforcer.close();
  });
});
