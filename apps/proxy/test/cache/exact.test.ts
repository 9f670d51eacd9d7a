import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exactCacheKey } from "@gateway/policy/cache-key";
import { assembleChunks, cacheBypassed, ExactCache, isCacheable, replayAsStream } from "../../src/cache/exact.ts";
import type { ChatCompletion } from "../../src/providers/openai-types.ts";

const completion: ChatCompletion = {
  id: "chatcmpl-abc",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "gpt-4o-mini",
  system_fingerprint: "fp_1",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Héllo 👋, this is a cached answer that spans several chunks of text." },
      finish_reason: "stop",
    },
    {
      index: 1,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "lookup_order", arguments: '{"order_id":"A-1","include":["items","status"]}' } },
          { id: "call_2", type: "function", function: { name: "refund", arguments: "{}" } },
        ],
      },
      finish_reason: "tool_calls",
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 },
};

let redis: Redis;
beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!);
});
afterAll(async () => {
  await redis.quit();
});

describe("ExactCache on Redis", () => {
  const tenantId = `cache-test-${randomUUID()}`;
  const request = { model: "support-summary", messages: [{ role: "user", content: "hi" }], temperature: 0 };

  it("stores and returns a completion with its cost, under the route's TTL", async () => {
    const cache = new ExactCache(redis);
    const key = exactCacheKey({ tenantId, routeName: "support-summary", routeVersion: 1, request });
    expect(await cache.get(key)).toBeNull();
    await cache.set(key, { completion, costMicros: 1234n, model: "gpt-4o-mini", provider: "openai", storedAt: 1 }, 60);
    const hit = await cache.get(key);
    expect(hit).toEqual({ completion, costMicros: 1234n, model: "gpt-4o-mini", provider: "openai", storedAt: 1 });
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it("misses for another tenant, another route version, and when the route does not cache", async () => {
    const cache = new ExactCache(redis);
    const key = exactCacheKey({ tenantId, routeName: "support-summary", routeVersion: 2, request });
    await cache.set(key, { completion, costMicros: 1n, model: "m", provider: "p", storedAt: 1 }, 60);
    const otherTenant = exactCacheKey({ tenantId: `${tenantId}-b`, routeName: "support-summary", routeVersion: 2, request });
    const otherVersion = exactCacheKey({ tenantId, routeName: "support-summary", routeVersion: 3, request });
    expect(await cache.get(otherTenant)).toBeNull();
    expect(await cache.get(otherVersion)).toBeNull();

    const noTtl = exactCacheKey({ tenantId, routeName: "no-cache", routeVersion: 1, request });
    await cache.set(noTtl, { completion, costMicros: 1n, model: "m", provider: "p", storedAt: 1 }, 0);
    expect(await redis.exists(noTtl)).toBe(0);
  });

  it("treats an entry of an unknown shape as a miss", async () => {
    const cache = new ExactCache(redis);
    const key = `{t:${tenantId}}:cache:old:v1:deadbeef`;
    await redis.set(key, JSON.stringify({ v: 0, something: "else" }), "EX", 60);
    expect(await cache.get(key)).toBeNull();
  });
});

describe("replayAsStream and assembleChunks", () => {
  it("round-trip a completion with text, unicode, several choices and tool calls", () => {
    const chunks = replayAsStream(completion, { includeUsage: true, chunkChars: 7 });
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toEqual(completion.usage);
    // Content arrives in several pieces, not one.
    expect(chunks.filter((c) => c.choices[0]?.index === 0 && c.choices[0].delta.content).length).toBeGreaterThan(5);
    expect(assembleChunks(chunks)).toEqual(completion);
  });

  it("leaves the usage chunk out unless asked, and can carry a new id", () => {
    const chunks = replayAsStream(completion, { includeUsage: false, id: "chatcmpl-new", created: 5 });
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.every((c) => c.id === "chatcmpl-new" && c.created === 5)).toBe(true);
    const { usage: _usage, ...withoutUsage } = completion;
    expect(assembleChunks(chunks)).toEqual({ ...withoutUsage, id: "chatcmpl-new", created: 5 });
  });

  it("assembles an upstream-style stream whose tool-call name and arguments arrive in pieces", () => {
    const base = { id: "x", object: "chat.completion.chunk" as const, created: 1, model: "m" };
    const assembled = assembleChunks([
      { ...base, choices: [{ index: 0, delta: { role: "assistant" }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c1", type: "function", function: { name: "get_", arguments: "" } }] }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: "weather", arguments: '{"city":' } }] }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
      { ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
    ]);
    expect(assembled.choices[0]!.message).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }],
    });
    expect(assembled.usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
  });
});

describe("cache rules", () => {
  it("honours x-gateway-cache: no-store", () => {
    expect(cacheBypassed("no-store")).toBe(true);
    expect(cacheBypassed("No-Store")).toBe(true);
    expect(cacheBypassed(["foo", "bar, no-store"])).toBe(true);
    expect(cacheBypassed(undefined)).toBe(false);
    expect(cacheBypassed("no-cache")).toBe(false);
  });

  it("caches only finished answers", () => {
    expect(isCacheable(completion)).toBe(true);
    expect(isCacheable({ ...completion, choices: [{ ...completion.choices[0]!, finish_reason: "length" }] })).toBe(false);
  });
});
