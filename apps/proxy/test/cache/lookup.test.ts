// The pipeline-facing cache on the real Redis and Postgres: exact hits for repeated requests (streamed or
// not), no hits across tenants or route versions, semantic hits for near duplicates, no-store honoured, and a
// cache that fails degrading to a miss that is reported.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleChunks, ExactCache } from "../../src/cache/exact.ts";
import {
  cacheHeaders,
  cacheHitBody,
  cacheHitChunks,
  cacheHitLogFields,
  lookupCache,
  storeInCache,
  type CacheContext,
  type CacheDeps,
} from "../../src/cache/lookup.ts";
import { ExactCosineIndex } from "../../src/cache/semantic.ts";
import type { ChatCompletion, ChatCompletionRequest } from "../../src/providers/openai-types.ts";

/** A stand-in embedding model: character trigrams hashed into 64 buckets, so similar texts get close vectors. */
function trigramEmbedding(text: string): number[] {
  const v = new Array<number>(64).fill(0);
  const t = ` ${text.toLowerCase()} `;
  for (let i = 0; i + 3 <= t.length; i++) {
    let h = 0;
    for (const ch of t.slice(i, i + 3)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    v[h % 64]! += 1;
  }
  return v;
}

const completion = (text: string): ChatCompletion => ({
  id: "chatcmpl-upstream",
  object: "chat.completion",
  created: 100,
  model: "mock-model",
  choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
});
const ask = (content: string, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: "faq",
  messages: [{ role: "user", content }],
  ...extra,
});

let redis: Redis;
let pool: pg.Pool;
let deps: CacheDeps;
const errors: string[] = [];
let embedCalls = 0;

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!);
  pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  deps = {
    exact: new ExactCache(redis),
    semantic: new ExactCosineIndex((sql, params) => pool.query(sql, params)),
    embed: async (_model, text) => {
      embedCalls++;
      return trigramEmbedding(text);
    },
    onError: (stage) => errors.push(stage),
  };
});
afterAll(async () => {
  await redis.quit();
  await pool.end();
});

const context = (over: Partial<CacheContext> = {}): CacheContext => ({
  tenantId: `lookup-${randomUUID()}`,
  routeName: "faq",
  routeVersion: 1,
  spec: { cacheTtlSeconds: 300, semanticCache: null },
  request: ask("What is the refund policy?"),
  cacheHeader: undefined,
  ...over,
});

async function answerAndStore(ctx: CacheContext, text: string, cost = 500n) {
  const lookup = await lookupCache(deps, ctx);
  if (lookup.status !== "miss") throw new Error(`expected a miss, got ${lookup.status}`);
  await storeInCache(deps, ctx, lookup, { completion: completion(text), costMicros: cost, model: "mock-model", provider: "mock", now: 1 });
}

describe("exact cache lookups", () => {
  it("hits a repeated request, streamed or not, with zero cost and the cost saved", async () => {
    const ctx = context();
    const first = await lookupCache(deps, ctx);
    expect(first.status).toBe("miss");
    expect(cacheHeaders(first)).toEqual({ "x-gateway-cache": "MISS" });
    await answerAndStore(ctx, "Refunds within 30 days.", 500n);

    for (const stream of [false, true]) {
      const again = await lookupCache(deps, { ...ctx, request: { ...ctx.request, stream, stream_options: stream ? { include_usage: true } : undefined } });
      if (again.status !== "hit") throw new Error("expected a hit");
      expect(again.kind).toBe("exact");
      expect(cacheHeaders(again)).toEqual({ "x-gateway-cache": "HIT", "x-gateway-cache-kind": "exact" });
      expect(cacheHitLogFields(again)).toEqual({ cacheHit: "exact", costMicros: 0n, costSavedMicros: 500n, inputTokens: 10, outputTokens: 5 });
      const body = cacheHitBody(again, { id: "chatcmpl-new", created: 200, requestedModel: "faq" });
      expect(body.choices[0]!.message.content).toBe("Refunds within 30 days.");
      expect([body.id, body.created, body.model]).toEqual(["chatcmpl-new", 200, "faq"]);
      if (stream) {
        const chunks = cacheHitChunks(again, { id: "chatcmpl-new", created: 200, requestedModel: "faq", includeUsage: true });
        expect(assembleChunks(chunks)).toEqual(body);
      }
    }
  });

  it("never hits across tenants or route versions, and honours no-store", async () => {
    const ctx = context();
    await answerAndStore(ctx, "tenant a's answer");
    expect((await lookupCache(deps, { ...ctx, tenantId: `${ctx.tenantId}-b` })).status).toBe("miss");
    expect((await lookupCache(deps, { ...ctx, routeVersion: 2 })).status).toBe("miss");
    expect(await lookupCache(deps, { ...ctx, cacheHeader: "no-store" })).toEqual({ status: "bypass" });
    expect((await lookupCache(deps, ctx)).status).toBe("hit");
  });

  it("is off on a route without a TTL, and does not store unfinished answers", async () => {
    expect(await lookupCache(deps, context({ spec: { cacheTtlSeconds: 0, semanticCache: null } }))).toEqual({ status: "bypass" });
    const ctx = context();
    const miss = await lookupCache(deps, ctx);
    if (miss.status !== "miss") throw new Error("expected a miss");
    const truncated = { ...completion("cut off"), choices: [{ index: 0, message: { role: "assistant" as const, content: "cut" }, finish_reason: "length" as const }] };
    await storeInCache(deps, ctx, miss, { completion: truncated, costMicros: 1n, model: "m", provider: "p", now: 1 });
    expect((await lookupCache(deps, ctx)).status).toBe("miss");
  });

  it("turns a failing Redis into a reported miss", async () => {
    const broken = new Redis(process.env.REDIS_URL!, { lazyConnect: true, enableOfflineQueue: false });
    const before = errors.length;
    const r = await lookupCache({ ...deps, exact: new ExactCache(broken) }, context());
    expect(r.status).toBe("miss");
    expect(errors.slice(before)).toEqual(["exact_get"]);
    broken.disconnect();
  });
});

describe("semantic cache lookups", () => {
  const semanticSpec = { cacheTtlSeconds: 0, semanticCache: { enabled: true, embeddingModel: "embed-small", threshold: 0.9, maxEntries: 100 } };

  it("serves a near duplicate above the threshold and not an unrelated question", async () => {
    const ctx = context({ spec: semanticSpec, request: ask("What is your refund policy for damaged items?") });
    await answerAndStore(ctx, "Damaged items are refunded in full.", 900n);

    const near = await lookupCache(deps, { ...ctx, request: ask("what is your refund policy for damaged items") });
    if (near.status !== "hit") throw new Error("expected a semantic hit");
    expect(near.kind).toBe("semantic");
    expect(near.similarity).toBeGreaterThan(0.9);
    expect(near.cached.completion.choices[0]!.message.content).toBe("Damaged items are refunded in full.");
    expect(cacheHitLogFields(near).costSavedMicros).toBe(900n);
    expect(cacheHeaders(near)["x-gateway-cache-similarity"]).toMatch(/^0\.9\d{3}|1\.0000$/);

    const far = await lookupCache(deps, { ...ctx, request: ask("How do I reset my password on the mobile app?") });
    expect(far.status).toBe("miss");
    // A different tenant asking the same thing gets nothing.
    expect((await lookupCache(deps, { ...ctx, tenantId: `${ctx.tenantId}-x`, request: ask("what is your refund policy for damaged items") })).status).toBe("miss");
  });

  it("stays out of requests with tools, and embeds only when the route opts in", async () => {
    const before = embedCalls;
    const tools = [{ type: "function" as const, function: { name: "lookup", parameters: {} } }];
    expect(await lookupCache(deps, context({ spec: semanticSpec, request: ask("hi", { tools }) }))).toEqual({ status: "bypass" });
    expect((await lookupCache(deps, context())).status).toBe("miss");
    expect(embedCalls).toBe(before);
  });
});
