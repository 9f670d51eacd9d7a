// The response cache and the route guardrails inside the chat pipeline: an exact repeat is served from the
// cache (JSON and stream) with no upstream call and zero cost, `x-gateway-cache: no-store` skips it, a
// semantic repeat hits by embedding; input guardrails block or redact before the upstream call and output
// guardrails refuse a matching answer. Findings are logged without the matched values.
import { createPrisma } from "@gateway/db";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProxy } from "../src/server.ts";
import { startMock, type Mock } from "./helpers/mock.ts";
import { startTestProxy } from "./helpers/proxy.ts";
import { seedTenant, type SeededTenant } from "./helpers/seed.ts";

const prisma = createPrisma(process.env.DATABASE_URL!);
const redis = new Redis(process.env.REDIS_URL!);
let mock: Mock;
let proxy: RunningProxy;
let t: SeededTenant;

beforeAll(async () => {
  mock = await startMock();
  proxy = await startTestProxy();
  t = await seedTenant(prisma, { mockUrl: mock.url, secretKey: process.env.GATEWAY_SECRET_KEY!, logBodies: true });
  await t.addRoute("cached", { riskLevel: "low", targets: [{ model: "gpt-mock" }], cacheTtlSeconds: 60 });
  await t.addRoute("semantic", {
    riskLevel: "low",
    targets: [{ model: "gpt-mock" }],
    semanticCache: { enabled: true, embeddingModel: "embed-mock", threshold: 0.97, maxEntries: 100 },
  });
  await t.addRoute("pii-block", { riskLevel: "low", targets: [{ model: "gpt-mock" }], guardrails: { input: { pii: { action: "block", kinds: ["email"] } } } });
  await t.addRoute("pii-redact", { riskLevel: "low", targets: [{ model: "gpt-mock" }], guardrails: { input: { pii: { action: "redact", kinds: ["email"] } } } });
  await t.addRoute("no-mock-talk", {
    riskLevel: "low",
    targets: [{ model: "gpt-mock" }],
    guardrails: { output: { bannedPatterns: [{ name: "mock-talk", pattern: "Mock reply", action: "block" }], streamMode: "flag" } },
  });
  await proxy.reloadConfig();
});
afterAll(async () => {
  await proxy.close();
  await mock.close();
  await prisma.$disconnect();
  redis.disconnect();
});

function chat(model: string, content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return fetch(proxy.url + "/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${t.key}`, ...headers },
    body: JSON.stringify({ model, messages: [{ role: "user", content }], ...extra }),
  });
}

async function logRow(res: Response) {
  await proxy.flushLogs();
  return prisma.requestLog.findFirstOrThrow({ where: { id: res.headers.get("x-request-id")! } });
}

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 20));
}

describe("exact cache", () => {
  it("a repeat is served from the cache, JSON and streamed, with no upstream call and zero cost", async () => {
    const first = await chat("cached", "What is a cache?");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-gateway-cache")).toBe("MISS");
    const firstBody = (await first.json()) as { choices: { message: { content: string } }[] };
    await until(async () => (await redis.keys(`{t:${t.tenantId}}:cache:cached:*`)).length > 0);
    const calls = mock.chatCalls();

    const second = await chat("cached", "What is a cache?");
    expect(second.headers.get("x-gateway-cache")).toBe("HIT");
    expect(second.headers.get("x-gateway-attempts")).toBe("0");
    expect(second.headers.get("x-gateway-cost-usd")).toBe("0.000000");
    const secondBody = (await second.json()) as { id: string; model: string; choices: { message: { content: string } }[] };
    expect(secondBody.model).toBe("cached");
    expect(secondBody.choices[0]!.message.content).toBe(firstBody.choices[0]!.message.content);

    const streamed = await chat("cached", "What is a cache?", { stream: true, stream_options: { include_usage: true } });
    expect(streamed.headers.get("x-gateway-cache")).toBe("HIT");
    const sse = await streamed.text();
    expect(sse).toContain("data: [DONE]");
    expect(sse).toContain('"usage"');
    expect(mock.chatCalls()).toBe(calls);

    const row = await logRow(second);
    expect(row).toMatchObject({ cacheHit: "exact", costMicros: 0n, status: "success" });
    expect(row.costSavedMicros).toBeGreaterThan(0n);

    const bypass = await chat("cached", "What is a cache?", {}, { "x-gateway-cache": "no-store" });
    expect(bypass.headers.get("x-gateway-cache")).not.toBe("HIT");
    await bypass.arrayBuffer();
    expect(mock.chatCalls()).toBe(calls + 1);
  });
});

describe("semantic cache", () => {
  it("the same question again hits by embedding", async () => {
    const first = await chat("semantic", "How tall is the Eiffel tower?");
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    let hit: Response | null = null;
    await until(async () => {
      const r = await chat("semantic", "How tall is the Eiffel tower?");
      await r.arrayBuffer();
      if (r.headers.get("x-gateway-cache") === "HIT") hit = r;
      return hit !== null;
    });
    expect(hit).not.toBeNull();
    expect(hit!.headers.get("x-gateway-cache-kind")).toBe("semantic");
    expect((await logRow(hit!)).cacheHit).toBe("semantic");
  });
});

describe("guardrails", () => {
  it("input PII with action block: 400 before any upstream call, the finding logged without the value", async () => {
    const calls = mock.chatCalls();
    const res = await chat("pii-block", "mail me at jane.doe@example.com please");
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; param: string; message: string } };
    expect(body.error).toMatchObject({ code: "guardrail_blocked", param: "messages" });
    expect(body.error.message).not.toContain("jane.doe");
    expect(mock.chatCalls()).toBe(calls);
    const row = await logRow(res);
    expect(row.status).toBe("rejected");
    expect(row.guardrailFindings).toEqual([expect.objectContaining({ kind: "email", action: "block", stage: "input" })]);
    expect(JSON.stringify(row, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).not.toContain("jane.doe@example.com");
  });

  it("input PII with action redact: the upstream never sees the address", async () => {
    const res = await chat("pii-redact", "mail me at jane.doe@example.com please");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).not.toContain("jane.doe@example.com");
    const sent = mock.chatBodies().at(-1);
    expect(JSON.stringify(sent)).toContain("mail me at");
    expect(JSON.stringify(sent)).not.toContain("jane.doe@example.com");
    const row = await logRow(res);
    expect(JSON.stringify(row.requestBody)).not.toContain("jane.doe@example.com");
  });

  it("output banned pattern: the answer is refused (422) for JSON, flagged for a stream", async () => {
    const res = await chat("no-mock-talk", "hello");
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("guardrail_blocked");
    const streamed = await chat("no-mock-talk", "hello", { stream: true });
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain("[DONE]");
    const row = await logRow(streamed);
    expect(row.guardrailFindings).toEqual([expect.objectContaining({ kind: "banned_pattern:mock-talk", action: "log", stage: "output" })]);
  });
});
