// The cache around real upstream calls to the loopback mock provider (through the OpenAI adapter), the way
// the chat pipeline uses it: a miss calls upstream and stores, a repeat — streamed or not — is served from
// the cache with zero further upstream calls, and a streamed miss is stored by assembling its chunks.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleChunks, ExactCache } from "../../src/cache/exact.ts";
import { cacheHitBody, cacheHitChunks, lookupCache, storeInCache, type CacheContext, type CacheDeps } from "../../src/cache/lookup.ts";
import { callChat } from "../../src/providers/call.ts";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from "../../src/providers/openai-types.ts";
import type { UpstreamTarget } from "../../src/providers/types.ts";
import { startMock, type Mock } from "../helpers/mock.ts";

let mock: Mock;
let redis: Redis;
let deps: CacheDeps;
let target: UpstreamTarget;

beforeAll(async () => {
  mock = await startMock();
  redis = new Redis(process.env.REDIS_URL!);
  deps = {
    exact: new ExactCache(redis),
    semantic: null,
    embed: () => Promise.reject(new Error("no semantic cache in this test")),
    onError: (stage, err) => {
      throw new Error(`cache ${stage} failed: ${String(err)}`);
    },
  };
  target = { kind: "openai", baseUrl: `${mock.url}/openai/v1`, apiKey: "sk-mock", authStyle: "bearer", upstreamModel: "gpt-4o-mini" };
});
afterAll(async () => {
  await redis.quit();
  await mock.close();
});

/** What the pipeline does for one request: look up, else call upstream (JSON or stream) and store. */
async function serve(ctx: CacheContext): Promise<{ from: "cache" | "upstream"; completion: ChatCompletion; chunks: ChatCompletionChunk[] | null }> {
  const stream = ctx.request.stream === true;
  const lookup = await lookupCache(deps, ctx);
  if (lookup.status === "hit") {
    const opts = { id: "chatcmpl-hit", created: 1, requestedModel: ctx.request.model };
    if (!stream) return { from: "cache", completion: cacheHitBody(lookup, opts), chunks: null };
    const chunks = cacheHitChunks(lookup, { ...opts, includeUsage: ctx.request.stream_options?.include_usage === true });
    return { from: "cache", completion: assembleChunks(chunks), chunks };
  }
  const r = await callChat(target, ctx.request, { signal: AbortSignal.timeout(10_000), ttftTimeoutMs: 10_000, responseModel: ctx.request.model });
  let completion: ChatCompletion;
  let chunks: ChatCompletionChunk[] | null = null;
  if (r.kind === "json") completion = r.completion;
  else {
    chunks = [];
    for await (const c of r.chunks) chunks.push(c);
    completion = assembleChunks(chunks);
  }
  if (lookup.status === "miss") {
    await storeInCache(deps, ctx, lookup, { completion, costMicros: 321n, model: "gpt-4o-mini", provider: "mock", now: Date.now() });
  }
  return { from: "upstream", completion, chunks };
}

const context = (request: ChatCompletionRequest, over: Partial<CacheContext> = {}): CacheContext => ({
  tenantId: `roundtrip-${randomUUID()}`,
  routeName: "support",
  routeVersion: 1,
  spec: { cacheTtlSeconds: 120, semanticCache: null },
  request,
  cacheHeader: undefined,
  ...over,
});

const text = (c: ChatCompletion) => c.choices[0]?.message.content;

describe("exact cache around the mock provider", () => {
  it("serves repeats (JSON and streamed) without calling upstream again", async () => {
    const question = `Summarise ticket ${randomUUID()}`;
    const ctx = context({ model: "support", messages: [{ role: "user", content: question }] });
    const calls = mock.chatCalls();

    const first = await serve(ctx);
    expect(first.from).toBe("upstream");
    expect(mock.chatCalls()).toBe(calls + 1);

    const again = await serve(ctx);
    const streamed = await serve({ ...ctx, request: { ...ctx.request, stream: true, stream_options: { include_usage: true } } });
    expect([again.from, streamed.from]).toEqual(["cache", "cache"]);
    expect(mock.chatCalls()).toBe(calls + 1);
    expect(text(again.completion)).toBe(text(first.completion));
    expect(text(streamed.completion)).toBe(text(first.completion));
    expect(streamed.chunks!.at(-1)!.usage).toEqual(first.completion.usage);
  });

  it("stores a streamed miss so a later JSON request hits", async () => {
    const question = `Explain invoice ${randomUUID()}`;
    const ctx = context({ model: "support", messages: [{ role: "user", content: question }], stream: true });
    const calls = mock.chatCalls();

    const first = await serve(ctx);
    expect(first.from).toBe("upstream");
    expect(first.chunks!.length).toBeGreaterThan(1);

    const json = await serve({ ...ctx, request: { ...ctx.request, stream: false } });
    expect(json.from).toBe("cache");
    expect(text(json.completion)).toBe(text(first.completion));
    expect(mock.chatCalls()).toBe(calls + 1);
  });

  it("calls upstream again for another tenant, another route version, and with no-store", async () => {
    const ctx = context({ model: "support", messages: [{ role: "user", content: `Hello ${randomUUID()}` }] });
    await serve(ctx);
    const calls = mock.chatCalls();
    expect((await serve({ ...ctx, tenantId: `${ctx.tenantId}-other` })).from).toBe("upstream");
    expect((await serve({ ...ctx, routeVersion: 2 })).from).toBe("upstream");
    expect((await serve({ ...ctx, cacheHeader: "no-store" })).from).toBe("upstream");
    expect(mock.chatCalls()).toBe(calls + 3);
  });
});
