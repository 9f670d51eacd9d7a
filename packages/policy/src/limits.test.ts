import { describe, expect, it } from "vitest";
import { applicableLimits, checkWindow, formatResetDuration, rateLimitHeaders, slidingCount, type RateLimitRule } from "./limits.ts";

const subject = { tenantId: "t1", appId: "a1", apiKeyId: "k1", routeId: "r1", modelName: "gpt-x" };
function rule(over: Partial<RateLimitRule> & Pick<RateLimitRule, "id" | "scope">): RateLimitRule {
  return { appId: null, apiKeyId: null, routeId: null, modelName: null, rpm: null, tpm: null, ...over };
}

describe("applicableLimits", () => {
  it("picks limits whose scope matches the request at every level, plus the key's own rpm/tpm", () => {
    const limits = applicableLimits({
      subject,
      rateLimits: [
        rule({ id: "t", scope: "tenant", rpm: 1000 }),
        rule({ id: "a", scope: "app", appId: "a1", tpm: 50_000 }),
        rule({ id: "a-other", scope: "app", appId: "a2", rpm: 1 }),
        rule({ id: "r", scope: "route", routeId: "r1", rpm: 100 }),
        rule({ id: "m", scope: "model", modelName: "gpt-x", rpm: 10 }),
        rule({ id: "m-other", scope: "model", modelName: "gpt-y", rpm: 1 }),
      ],
      key: { rpm: 60, tpm: null },
    });
    expect(limits.map((l) => `${l.scope}:${l.subject}:${l.kind}=${l.limit}`)).toEqual([
      "tenant:t1:rpm=1000",
      "app:a1:tpm=50000",
      "route:r1:rpm=100",
      "model:gpt-x:rpm=10",
      "key:k1:rpm=60",
    ]);
  });

  it("merges limits on the same counter into the strictest, so a request is counted once", () => {
    const limits = applicableLimits({
      subject,
      rateLimits: [rule({ id: "k", scope: "key", apiKeyId: "k1", rpm: 30 })],
      key: { rpm: 60, tpm: null },
    });
    expect(limits).toEqual([{ scope: "key", subject: "k1", kind: "rpm", limit: 30, sources: ["k", "key"] }]);
  });

  it("treats null and zero as no limit", () => {
    expect(applicableLimits({ subject, rateLimits: [rule({ id: "t", scope: "tenant", rpm: 0, tpm: null })] })).toEqual([]);
  });
});

describe("the sliding window estimate", () => {
  it("counts the previous window in proportion to its overlap", () => {
    expect(slidingCount({ previous: 10, current: 3, elapsedMs: 15_000, windowMs: 60_000 })).toBe(7 + 3);
    expect(slidingCount({ previous: 10, current: 3, elapsedMs: 60_000, windowMs: 60_000 })).toBe(3);
  });

  it("allows exactly `limit` requests in an empty window, then refuses", () => {
    let current = 0;
    const results: boolean[] = [];
    for (let i = 0; i < 7; i++) {
      const c = checkWindow({ current, previous: 0, elapsedMs: 1000, windowMs: 60_000, limit: 5, cost: 1 });
      results.push(c.allowed);
      if (c.allowed) current++;
    }
    expect(results).toEqual([true, true, true, true, true, false, false]);
  });

  it("tells a refused request when it would pass, and it does pass then", () => {
    const base = { current: 2, previous: 10, windowMs: 60_000, limit: 8, cost: 1 };
    const refused = checkWindow({ ...base, elapsedMs: 6_000 });
    expect(refused.allowed).toBe(false);
    expect(checkWindow({ ...base, elapsedMs: 6_000 + refused.retryAfterMs }).allowed).toBe(true);
    expect(checkWindow({ ...base, elapsedMs: 6_000 + refused.retryAfterMs - 2 }).allowed).toBe(false);
  });

  it("when the current window alone is full, the wait reaches into the next window", () => {
    const refused = checkWindow({ current: 5, previous: 0, elapsedMs: 10_000, windowMs: 60_000, limit: 5, cost: 1 });
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(refused.resetMs);
    const later = refused.retryAfterMs - refused.resetMs; // time into the next window
    expect(checkWindow({ current: 0, previous: 5, elapsedMs: later, windowMs: 60_000, limit: 5, cost: 1 }).allowed).toBe(true);
  });

  it("a cost larger than the limit never fits", () => {
    const c = checkWindow({ current: 0, previous: 0, elapsedMs: 0, windowMs: 60_000, limit: 100, cost: 101 });
    expect(c).toMatchObject({ allowed: false, retryAfterMs: 60_000 });
  });
});

describe("rate-limit headers", () => {
  it("report the tightest limit of each kind in OpenAI's names and duration format", () => {
    expect(
      rateLimitHeaders([
        { kind: "rpm", limit: 1000, remaining: 900, resetMs: 30_000 },
        { kind: "rpm", limit: 60, remaining: 10, resetMs: 30_000 },
        { kind: "tpm", limit: 10_000, remaining: 5_000, resetMs: 90_500 },
      ]),
    ).toEqual({
      "x-ratelimit-limit-requests": "60",
      "x-ratelimit-remaining-requests": "10",
      "x-ratelimit-reset-requests": "30s",
      "x-ratelimit-limit-tokens": "10000",
      "x-ratelimit-remaining-tokens": "5000",
      "x-ratelimit-reset-tokens": "1m31s",
    });
  });
  it("formats sub-second resets in milliseconds", () => {
    expect(formatResetDuration(20)).toBe("20ms");
  });
});
