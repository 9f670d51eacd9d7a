// Limits and budgets hold across proxies and under concurrency: two proxy instances share one RPM limit
// (the counters live in Redis), and a budget worth about twenty requests, hit by 200 concurrent requests
// (half of them streaming), ends with spend ≤ budget + one request's worst case.
import { createPrisma } from "@gateway/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProxy } from "../src/server.ts";
import { startMock, type Mock } from "./helpers/mock.ts";
import { startTestProxy } from "./helpers/proxy.ts";
import { seedTenant } from "./helpers/seed.ts";

const prisma = createPrisma(process.env.DATABASE_URL!);
let mock: Mock;
let a: RunningProxy;
let b: RunningProxy;

beforeAll(async () => {
  mock = await startMock();
  [a, b] = await Promise.all([startTestProxy(), startTestProxy()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await mock.close();
  await prisma.$disconnect();
});

function chat(url: string, key: string, body: Record<string, unknown> = {}) {
  return fetch(url + "/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "count to three" }], max_tokens: 20, ...body }),
  });
}

describe("rate limits", () => {
  it("two proxies share one RPM limit", async () => {
    const t = await seedTenant(prisma, { mockUrl: mock.url, secretKey: process.env.GATEWAY_SECRET_KEY! });
    const k = await t.createKey({ rpm: 10 });
    await Promise.all([a.reloadConfig(), b.reloadConfig()]);
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(i % 2 ? a.url : b.url, k.secret)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    const limited = responses.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded");
    const ok = responses.find((r) => r.status === 200)!;
    expect(ok.headers.get("x-ratelimit-limit-requests")).toBe("10");
    expect(ok.headers.get("x-ratelimit-remaining-requests")).toMatch(/^\d+$/);
    await Promise.all(responses.map((r) => r.arrayBuffer().catch(() => undefined)));
  });
});

describe("budgets", () => {
  it("200 concurrent requests against a budget of ~20: spend ≤ budget + one worst case", async () => {
    const t = await seedTenant(prisma, { mockUrl: mock.url, secretKey: process.env.GATEWAY_SECRET_KEY! });
    await t.addRoute("cheap", { riskLevel: "low", targets: [{ model: "gpt-mock" }] });
    await a.reloadConfig();
    // Price one request, then give the tenant a budget worth about twenty of them.
    const probe = await chat(a.url, t.key, { model: "cheap" });
    expect(probe.status).toBe(200);
    await probe.json();
    const oneMicros = Math.round(Number(probe.headers.get("x-gateway-cost-usd")) * 1_000_000);
    expect(oneMicros).toBeGreaterThan(0);
    await a.flushLogs();
    expect(probe.headers.get("x-gateway-cost-usd")).toMatch(/^\d+\.\d{6}$/);
    const spentBefore = await spend(t.tenantId);
    const limit = spentBefore + BigInt(oneMicros * 20);
    await prisma.budget.create({ data: { tenantId: t.tenantId, name: "daily", scope: "tenant", period: "day", limitMicros: limit, action: "block" } });
    await Promise.all([a.reloadConfig(), b.reloadConfig()]);

    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await chat(i % 2 ? a.url : b.url, t.key, { model: "cheap", ...(i % 4 < 2 ? { stream: true, stream_options: { include_usage: true } } : {}) });
        const text = await res.text();
        return { status: res.status, text };
      }),
    );
    const ok = results.filter((r) => r.status === 200).length;
    const probeRow = await prisma.requestLog.findFirstOrThrow({ where: { id: probe.headers.get("x-request-id")! } });
    const refused = results.filter((r) => r.status === 429);
    expect(ok).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(JSON.parse(r.text).error).toMatchObject({ code: "budget_exceeded", type: "insufficient_quota" });
    await Promise.all([a.flushLogs(), b.flushLogs()]);
    const total = await spend(t.tenantId);
    // One worst case: every input token and the whole output allowance (max_tokens 20) at the target's price.
    const worstCase = BigInt(Math.ceil((probeRow.inputTokens * 150_000 + 20 * 600_000) / 1_000_000));
    expect(total).toBeLessThanOrEqual(limit + worstCase);
    expect(ok).toBeGreaterThanOrEqual(10);
  });
});

async function spend(tenantId: string): Promise<bigint> {
  const r = await prisma.requestLog.aggregate({ where: { tenantId }, _sum: { costMicros: true } });
  return r._sum.costMicros ?? 0n;
}
