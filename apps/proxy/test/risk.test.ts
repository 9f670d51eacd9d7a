// Risk levels against mock faults. The seeded "faulty" providers send `x-mock-fault: status=503` upstream,
// so a route's primary fails on every call while its fallback (a healthy provider in another format) works.
//   low    → retry once on the primary, then the fallback serves: 3 attempts, fallback true;
//   medium → the fallback serves only when its output passes the route's validator, else 422;
//   high   → stop after the first failure, open a review item, return its id.
import { createPrisma } from "@gateway/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProxy } from "../src/server.ts";
import { startMock, type Mock } from "./helpers/mock.ts";
import { startTestProxy } from "./helpers/proxy.ts";
import { seedTenant } from "./helpers/seed.ts";

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

// Each test has its own tenant, so one test's failures never open a breaker another test relies on.
async function tenant() {
  const t = await seedTenant(prisma, { mockUrl: mock.url, secretKey: process.env.GATEWAY_SECRET_KEY! });
  await proxy.reloadConfig();
  return t;
}

interface ChatBody {
  model: string;
  choices: { message: { content: string } }[];
  error: { code: string; message: string; attempts: unknown; review_item_id: string };
}

async function chat(key: string, body: Record<string, unknown>) {
  const res = await fetch(proxy.url + "/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ messages: [{ role: "user", content: "What is the answer?" }], ...body }),
  });
  const text = await res.text();
  return { res, body: JSON.parse(text) as ChatBody };
}

async function logRow(requestId: string) {
  await proxy.flushLogs();
  return prisma.requestLog.findFirstOrThrow({ where: { id: requestId } });
}

const answerFormat = {
  type: "json_schema",
  json_schema: { name: "answer", schema: { type: "object", required: ["answer"], properties: { answer: { type: "string" } } } },
};

describe("low risk", () => {
  it("retries the primary once, then falls back: 3 attempts, every one logged", async () => {
    const t = await tenant();
    const { res, body } = await chat(t.key, { model: "low-faulty" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-attempts")).toBe("3");
    expect(res.headers.get("x-gateway-fallback")).toBe("true");
    expect(res.headers.get("x-gateway-route")).toBe("low-faulty");
    expect(res.headers.get("x-gateway-model")).toBe("claude-mock");
    expect(res.headers.get("x-gateway-provider")).toBe("mock-anthropic");
    expect(res.headers.get("x-gateway-cost-usd")).toMatch(/^\d+\.\d{6}$/);
    expect(body.model).toBe("low-faulty");
    expect(body.choices[0]!.message.content).toContain("Mock reply");

    const row = await logRow(res.headers.get("x-request-id")!);
    expect(row).toMatchObject({
      status: "success",
      httpStatus: 200,
      routeName: "low-faulty",
      routeVersion: 1,
      finalModel: "claude-mock",
      provider: "mock-anthropic",
      fallbackUsed: true,
      retryCount: 1,
      stream: false,
    });
    const attempts = row.attempts as { target: string; status: number | null; failure: string | null }[];
    expect(attempts.map((a) => [a.target, a.status, a.failure])).toEqual([
      ["mock-faulty/gpt-faulty", 503, "server_error"],
      ["mock-faulty/gpt-faulty", 503, "server_error"],
      ["mock-anthropic/claude-mock", 200, null],
    ]);
    expect(row.costMicros).toBeGreaterThan(0n);
    expect(row.inputTokens).toBeGreaterThan(0);
    expect(row.outputTokens).toBeGreaterThan(0);
  });
});

describe("medium risk", () => {
  it("falls back when the fallback's output passes the validator", async () => {
    const t = await tenant();
    const { res, body } = await chat(t.key, { model: "medium-faulty", response_format: answerFormat });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-fallback")).toBe("true");
    expect(JSON.parse(body.choices[0]!.message.content)).toHaveProperty("answer");
    const row = await logRow(res.headers.get("x-request-id")!);
    expect(row.validatorResult).toBe("pass");
    expect(row.fallbackUsed).toBe(true);
  });

  it("refuses the fallback's output when it fails the validator: 422 output_validation_failed", async () => {
    const t = await tenant();
    const { res, body } = await chat(t.key, { model: "medium-faulty" });
    expect(res.status).toBe(422);
    expect(body.error.code).toBe("output_validation_failed");
    expect(body.error.message).toContain("gpt-faulty");
    expect(Array.isArray(body.error.attempts)).toBe(true);
    const row = await logRow(res.headers.get("x-request-id")!);
    expect(row).toMatchObject({ status: "error", httpStatus: 422, errorCode: "output_validation_failed", validatorResult: "fail" });
  });
});

describe("medium risk, streamed", () => {
  it("a streamed fallback is held until its output validates, then sent; one that fails is a 422 before any byte", async () => {
    const t = await tenant();
    const ok = await fetch(proxy.url + "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.key}` },
      body: JSON.stringify({ model: "medium-faulty", stream: true, response_format: answerFormat, messages: [{ role: "user", content: "What is the answer?" }] }),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-gateway-fallback")).toBe("true");
    const sse = await ok.text();
    const text = sse
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] })
      .map((c) => c.choices[0]?.delta.content ?? "")
      .join("");
    expect(JSON.parse(text)).toHaveProperty("answer");
    expect(sse.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect((await logRow(ok.headers.get("x-request-id")!)).validatorResult).toBe("pass");

    const bad = await fetch(proxy.url + "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.key}` },
      body: JSON.stringify({ model: "medium-faulty", stream: true, messages: [{ role: "user", content: "What is the answer?" }] }),
    });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as ChatBody).error.code).toBe("output_validation_failed");
  });
});

describe("high risk", () => {
  it("stops at the first failure, opens a review item and returns its id", async () => {
    const t = await tenant();
    const { res, body } = await chat(t.key, { model: "high-faulty" });
    expect(res.status).toBe(502);
    expect(body.error.code).toBe("upstream_error");
    expect(body.error.review_item_id).toEqual(expect.any(String));
    expect(res.headers.get("x-gateway-attempts")).toBe("1");
    const item = await prisma.reviewItem.findUniqueOrThrow({ where: { id: body.error.review_item_id } });
    const requestId = res.headers.get("x-request-id")!;
    expect(item).toMatchObject({ tenantId: t.tenantId, requestId, routeName: "high-faulty", routeVersion: 1, errorCode: "upstream_error", status: "open" });
    const row = await logRow(requestId);
    expect(row).toMatchObject({ status: "error", httpStatus: 502, reviewItemId: item.id, fallbackUsed: false });
    expect((row.attempts as unknown[]).length).toBe(1);
  });
});

describe("streams", () => {
  it("a stream cut after its first byte ends with an SSE error event, no silent switch, logged as mid-stream failure", async () => {
    const t = await tenant();
    const res = await fetch(proxy.url + "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.key}` },
      body: JSON.stringify({ model: "chat", stream: true, messages: [{ role: "user", content: "tell me a long story [[mock:cut_after=3,chunk_size=4,chunk_delay_ms=30]]" }] }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const events = text.split("\n\n").filter(Boolean).map((e) => e.replace(/^data: /, ""));
    expect(events.length).toBeGreaterThan(1);
    const last = JSON.parse(events.at(-1)!);
    expect(last.error.code).toBe("upstream_error");
    expect(text).not.toContain("[DONE]");
    const row = await logRow(res.headers.get("x-request-id")!);
    expect(row).toMatchObject({ midStreamFailure: true, status: "error", stream: true, fallbackUsed: false, finalModel: "gpt-mock" });
  });
});
