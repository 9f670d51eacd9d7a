// Pipeline behaviours beyond the risk table: budget downgrade to a cheaper route, the time-to-first-token
// timeout, circuit breakers skipping a failing target, client disconnects, bodies kept only where the
// tenant says so, and the Prometheus metrics.
import { createPrisma, encryptSecret, publishConfigChange } from "@gateway/db";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProxy } from "../src/server.ts";
import { startMock, type Mock } from "./helpers/mock.ts";
import { startTestProxy } from "./helpers/proxy.ts";
import { PRICES, seedTenant } from "./helpers/seed.ts";

const prisma = createPrisma(process.env.DATABASE_URL!);
let mock: Mock;
let proxy: RunningProxy;

beforeAll(async () => {
  mock = await startMock();
  proxy = await startTestProxy();
});
afterAll(async () => {
  await proxy.close();
  await mock.close();
  await prisma.$disconnect();
});

async function tenant(opts: { logBodies?: boolean } = {}) {
  const t = await seedTenant(prisma, { mockUrl: mock.url, secretKey: process.env.GATEWAY_SECRET_KEY!, ...opts });
  return t;
}

function chat(key: string, body: Record<string, unknown>, signal?: AbortSignal) {
  return fetch(proxy.url + "/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ messages: [{ role: "user", content: "Say hello" }], ...body }),
    ...(signal ? { signal } : {}),
  });
}

async function row(res: Response) {
  await proxy.flushLogs();
  return prisma.requestLog.findFirstOrThrow({ where: { id: res.headers.get("x-request-id")! } });
}

/** A provider whose every upstream call carries this mock fault, with one chat model on it. */
async function faultyModel(tenantId: string, name: string, fault: string) {
  const p = await prisma.providerAccount.create({
    data: {
      tenantId,
      name: `p-${name}`,
      kind: "openai",
      baseUrl: `${mock.url}/openai/v1`,
      credentialsCiphertext: encryptSecret("sk-mock", process.env.GATEWAY_SECRET_KEY!),
      headers: { "x-mock-fault": fault },
    },
  });
  const m = await prisma.model.create({ data: { tenantId, name, providerAccountId: p.id, upstreamModel: "gpt-4o-mini" } });
  await prisma.modelPrice.create({
    data: { modelId: m.id, effectiveFrom: new Date("2024-01-01"), inputMicrosPerMTok: PRICES.openai.input, outputMicrosPerMTok: PRICES.openai.output },
  });
}

describe("budgets with action downgrade", () => {
  it("serve from the cheaper route once spent, and say so", async () => {
    const t = await tenant();
    await prisma.budget.create({
      data: { tenantId: t.tenantId, name: "spent", scope: "tenant", period: "day", limitMicros: 0n, action: "downgrade", downgradeRouteId: t.routeIds["chat-gemini"]! },
    });
    await proxy.reloadConfig();
    const res = await chat(t.key, { model: "chat" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-downgraded")).toBe("true");
    expect(res.headers.get("x-gateway-route")).toBe("chat-gemini");
    expect(res.headers.get("x-gateway-model")).toBe("gemini-mock");
    const body = (await res.json()) as { model: string };
    expect(body.model).toBe("chat");
    expect(await row(res)).toMatchObject({ downgraded: true, routeName: "chat-gemini", requestedModel: "chat", finalModel: "gemini-mock" });
  });
});

describe("route versions", () => {
  it("a new version takes over on the config-change message, and logs record which version served", async () => {
    const t = await tenant();
    await proxy.reloadConfig();
    const v1 = await chat(t.key, { model: "chat" });
    expect(v1.headers.get("x-gateway-model")).toBe("gpt-mock");
    await v1.arrayBuffer();
    const routeId = t.routeIds["chat"]!;
    await prisma.routeVersion.create({ data: { routeId, version: 2, riskLevel: "low", targets: [{ model: "gemini-mock" }] } });
    await prisma.route.update({ where: { id: routeId }, data: { currentVersion: 2 } });
    const publisher = new Redis(process.env.REDIS_URL!);
    await publishConfigChange(publisher, { tenantId: t.tenantId, reason: "route.update" });
    publisher.disconnect();
    let res: Response | null = null;
    for (let i = 0; i < 40; i++) {
      res = await chat(t.key, { model: "chat" });
      await res.arrayBuffer();
      if (res.headers.get("x-gateway-model") === "gemini-mock") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(res!.headers.get("x-gateway-model")).toBe("gemini-mock");
    expect(await row(res!)).toMatchObject({ routeName: "chat", routeVersion: 2 });
    expect(await row(v1)).toMatchObject({ routeVersion: 1 });
  });
});

describe("upgrade rules", () => {
  it("a paid user's request is served by the route's stronger target", async () => {
    const t = await tenant();
    await t.addRoute("tiered", {
      riskLevel: "low",
      targets: [{ model: "gpt-mock" }],
      upgradeRules: [{ when: { userTier: "paid" }, targets: [{ model: "claude-mock" }] }],
    });
    await proxy.reloadConfig();
    const free = await chat(t.key, { model: "tiered" });
    const paid = await fetch(proxy.url + "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.key}`, "x-gateway-user-tier": "paid", "x-gateway-user": "u-42" },
      body: JSON.stringify({ model: "tiered", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(free.headers.get("x-gateway-model")).toBe("gpt-mock");
    expect(paid.headers.get("x-gateway-model")).toBe("claude-mock");
    await Promise.all([free.arrayBuffer(), paid.arrayBuffer()]);
    expect(await row(paid)).toMatchObject({ userTier: "paid", endUser: "u-42", finalModel: "claude-mock" });
  });
});

describe("SSRF guard", () => {
  it("without GATEWAY_ALLOW_PRIVATE_UPSTREAMS, loopback providers are unusable, reported by /readyz, and never called", async () => {
    const t = await tenant();
    const guarded = await startTestProxy({ envOverrides: { GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "0" } });
    try {
      const ready = (await (await fetch(guarded.url + "/readyz")).json()) as { unusableProviders: { tenantId: string; provider: string; reason: string }[] };
      const mine = ready.unusableProviders.filter((u) => u.tenantId === t.tenantId).map((u) => u.provider);
      expect(mine).toEqual(expect.arrayContaining(["mock-openai", "mock-anthropic", "mock-gemini"]));
      const calls = mock.chatCalls();
      const res = await fetch(guarded.url + "/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.key}` },
        body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(503);
      const err = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe("no_healthy_target");
      expect(err.message).toContain("provider mock-openai is not usable");
      expect(err.message).not.toContain("127.0.0.1");
      expect(mock.chatCalls()).toBe(calls);
    } finally {
      await guarded.close();
    }
  });
});

describe("time to first token", () => {
  it("a primary slower than the route's TTFT timeout is abandoned for the fallback", async () => {
    const t = await tenant();
    await faultyModel(t.tenantId, "gpt-slow", "first_token_delay_ms=3000");
    await t.addRoute("ttft", { riskLevel: "low", retryLimit: 0, ttftTimeoutMs: 300, targets: [{ model: "gpt-slow" }, { model: "gpt-mock" }] });
    await proxy.reloadConfig();
    const res = await chat(t.key, { model: "ttft", stream: true });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("x-gateway-attempts")).toBe("2");
    expect(res.headers.get("x-gateway-model")).toBe("gpt-mock");
    expect(await res.text()).toContain("data: [DONE]");
    const r = await row(res);
    expect((r.attempts as { failure: string | null }[]).map((a) => a.failure)).toEqual(["timeout", null]);
    expect(r.ttftMs).toBeGreaterThanOrEqual(300);
  });
});

describe("circuit breakers", () => {
  it("after repeated failures the failing primary is skipped and the fallback serves at once", async () => {
    const t = await tenant();
    await proxy.reloadConfig();
    let attempts: string | null = null;
    for (let i = 0; i < 8 && attempts !== "1"; i++) {
      const res = await chat(t.key, { model: "low-faulty" });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      attempts = res.headers.get("x-gateway-attempts");
      // Breaker reports go to Redis in the background; give them a moment to land.
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(attempts).toBe("1");
    const metrics = await (await fetch(proxy.url + "/metrics")).text();
    expect(metrics).toMatch(new RegExp(`gateway_breaker_state\\{tenant="${t.tenantId}",target="mock-faulty/gpt-faulty"\\} 2`));
  });
});

describe("client disconnects", () => {
  it("a client that leaves mid-stream stops the upstream call and is logged", async () => {
    const t = await tenant();
    await proxy.reloadConfig();
    const controller = new AbortController();
    const res = await chat(t.key, { model: "chat", stream: true, messages: [{ role: "user", content: "long story [[mock:chunk_size=2,chunk_delay_ms=100]]" }] }, controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await proxy.flushLogs();
    const id = res.headers.get("x-request-id")!;
    let r = await prisma.requestLog.findFirst({ where: { id } });
    for (let i = 0; i < 50 && !r; i++) {
      await new Promise((res) => setTimeout(res, 100));
      await proxy.flushLogs();
      r = await prisma.requestLog.findFirst({ where: { id } });
    }
    expect(r).toMatchObject({ midStreamFailure: true, status: "error", stream: true });
    // Stopped long before the ~2 s the whole answer takes at that pace.
    expect(r!.latencyMs).toBeLessThan(2000);
  });
});

describe("bodies in logs", () => {
  it("are kept only for tenants whose policy says so", async () => {
    const keeps = await tenant({ logBodies: true });
    const drops = await tenant();
    await proxy.reloadConfig();
    const a = await chat(keeps.key, { model: "chat" });
    const b = await chat(drops.key, { model: "chat" });
    await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
    const ra = await row(a);
    const rb = await row(b);
    expect(ra.requestBody).toMatchObject({ model: "chat", messages: [{ role: "user", content: "Say hello" }] });
    expect((ra.responseBody as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain("Mock reply");
    expect(rb.requestBody).toBeNull();
    expect(rb.responseBody).toBeNull();
  });
});

describe("metrics", () => {
  it("count requests by route and status, latency, attempts and the log queue", async () => {
    const t = await tenant();
    await proxy.reloadConfig();
    await (await chat(t.key, { model: "chat-anthropic" })).arrayBuffer();
    const text = await (await fetch(proxy.url + "/metrics")).text();
    expect(text).toMatch(/gateway_requests_total\{endpoint="chat",route="chat-anthropic",status="200"\} \d+/);
    expect(text).toMatch(/gateway_request_duration_seconds_bucket\{endpoint="chat",route="chat-anthropic",le="\+Inf"\} \d+/);
    expect(text).toMatch(/gateway_upstream_attempts_total\{target="mock-anthropic\/claude-mock",outcome="success"\} \d+/);
    expect(text).toMatch(/gateway_log_queue_depth\{where="memory"\} \d+/);
    expect(text).toMatch(/gateway_log_lag_seconds \d/);
  });
});
