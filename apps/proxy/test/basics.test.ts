// The proxy's own surface, no upstream needed: health endpoints, key auth (401), scope (403), unknown
// names (404), bad bodies (400 naming the field), /v1/models, feedback ownership and revocation within a
// second in a running proxy.
import { createPrisma, publishConfigChange } from "@gateway/db";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProxy } from "../src/server.ts";
import { startTestProxy } from "./helpers/proxy.ts";
import { seedTenant, type SeededTenant } from "./helpers/seed.ts";

const prisma = createPrisma(process.env.DATABASE_URL!);
const redis = new Redis(process.env.REDIS_URL!);
let proxy: RunningProxy;
let t: SeededTenant;

beforeAll(async () => {
  t = await seedTenant(prisma, { mockUrl: "http://127.0.0.1:9", secretKey: process.env.GATEWAY_SECRET_KEY! });
  proxy = await startTestProxy();
});
afterAll(async () => {
  await proxy.close();
  await prisma.$disconnect();
  redis.disconnect();
});

async function post(path: string, body: unknown, key: string | null, headers: Record<string, string> = {}) {
  const res = await fetch(proxy.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { res, json: (await res.json()) as { error?: { message: string; type: string; param: string | null; code: string } } & Record<string, unknown> };
}

describe("health", () => {
  it("healthz, readyz and metrics answer", async () => {
    expect((await fetch(proxy.url + "/healthz")).status).toBe(200);
    const ready = await fetch(proxy.url + "/readyz");
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { postgres: string; redis: string; config: { loaded: boolean } };
    expect(body).toMatchObject({ postgres: "ok", redis: "ok", config: { loaded: true } });
    const metrics = await (await fetch(proxy.url + "/metrics")).text();
    expect(metrics).toContain("# TYPE gateway_requests_total counter");
    expect(metrics).toContain("gateway_log_queue_depth");
  });
});

describe("auth and errors", () => {
  it("401 for a missing, unknown key; x-api-key works like Bearer", async () => {
    const missing = await post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: "hi" }] }, null);
    expect(missing.res.status).toBe(401);
    expect(missing.json.error).toMatchObject({ code: "invalid_api_key", type: "authentication_error" });
    const unknown = await post("/v1/chat/completions", { model: "chat", messages: [] }, "gw_nope");
    expect(unknown.res.status).toBe(401);
    const viaXApiKey = await fetch(proxy.url + "/v1/models", { headers: { "x-api-key": t.key } });
    expect(viaXApiKey.status).toBe(200);
  });

  it("401 for an expired key", async () => {
    const k = await t.createKey({ expiresAt: new Date(Date.now() - 1000) });
    await proxy.reloadConfig();
    const r = await post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: "x" }] }, k.secret);
    expect(r.res.status).toBe(401);
  });

  it("400 names the field: bad JSON, wrong types, unknown fields, bad metadata header", async () => {
    const badJson = await post("/v1/chat/completions", "{not json", t.key);
    expect(badJson.res.status).toBe(400);
    expect(badJson.json.error).toMatchObject({ type: "invalid_request_error", param: "body" });
    expect(badJson.res.headers.get("x-request-id")).toMatch(/^req_/);

    const wrongType = await post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: 5 }] }, t.key);
    expect(wrongType.res.status).toBe(400);
    expect(wrongType.json.error!.param).toBe("messages[0].content");

    const temp = await post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: "x" }], temperature: "hot" }, t.key);
    expect(temp.json.error!.param).toBe("temperature");

    const unknownField = await post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: "x" }], frobnicate: 1 }, t.key);
    expect(unknownField.res.status).toBe(400);
    expect(unknownField.json.error!.param).toBe("frobnicate");

    const meta = await post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: "x" }] }, t.key, { "x-gateway-metadata": "[1,2]" });
    expect(meta.res.status).toBe(400);
    expect(meta.json.error!.param).toBe("x-gateway-metadata");
  });

  it("404 for an unknown route, 403 outside the key's scope, 413 over the route's input cap", async () => {
    const nf = await post("/v1/chat/completions", { model: "no-such-route", messages: [{ role: "user", content: "x" }] }, t.key);
    expect(nf.res.status).toBe(404);
    expect(nf.json.error).toMatchObject({ code: "model_not_found", param: "model" });

    const scoped = await t.createKey({ allowedRoutes: ["chat-gemini"] });
    await proxy.reloadConfig();
    const forbidden = await post("/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: "x" }] }, scoped.secret);
    expect(forbidden.res.status).toBe(403);
    expect(forbidden.json.error).toMatchObject({ code: "model_not_allowed", type: "permission_error" });
    const direct = await post("/v1/chat/completions", { model: "gpt-mock", messages: [{ role: "user", content: "x" }] }, scoped.secret);
    expect(direct.res.status).toBe(403);

    const big = await post("/v1/chat/completions", { model: "small-input", messages: [{ role: "user", content: "word ".repeat(200) }] }, t.key);
    expect(big.res.status).toBe(413);
    expect(big.json.error).toMatchObject({ code: "context_length_exceeded", param: "messages" });
  });

  it("logs rejected requests with the key, status and error code", async () => {
    const r = await post("/v1/chat/completions", { model: "no-such-route", messages: [{ role: "user", content: "x" }] }, t.key, {
      "x-gateway-workflow": "triage",
      "x-gateway-user": "u-1",
      "x-gateway-metadata": JSON.stringify({ ticket: 42 }),
    });
    const id = r.res.headers.get("x-request-id")!;
    await proxy.flushLogs();
    const row = await prisma.requestLog.findFirst({ where: { id } });
    expect(row).toMatchObject({ tenantId: t.tenantId, apiKeyId: t.keyId, status: "rejected", httpStatus: 404, errorCode: "model_not_found", workflow: "triage", endUser: "u-1", metadata: { ticket: 42 } });
  });
});

describe("/v1/models", () => {
  it("lists the routes and models the key may call, OpenAI list shape", async () => {
    const res = await fetch(proxy.url + "/v1/models", { headers: { authorization: `Bearer ${t.key}` } });
    const body = (await res.json()) as { object: string; data: { id: string; object: string; owned_by: string }[] };
    expect(body.object).toBe("list");
    const ids = body.data.map((d) => d.id).sort();
    expect(ids).toEqual(
      ["chat", "chat-anthropic", "chat-gemini", "embed", "embed-gemini", "low-faulty", "medium-faulty", "high-faulty", "small-input", "gpt-mock", "claude-mock", "gemini-mock", "embed-mock"].sort(),
    );
    for (const d of body.data) expect(d.object).toBe("model");

    const scoped = await t.createKey({ allowedRoutes: ["chat"] });
    await proxy.reloadConfig();
    const r2 = await fetch(proxy.url + "/v1/models", { headers: { authorization: `Bearer ${scoped.secret}` } });
    expect(((await r2.json()) as { data: { id: string }[] }).data.map((d) => d.id)).toEqual(["chat"]);
  });
});

describe("/v1/feedback", () => {
  it("records feedback for the key's own request (still queued in the writer) and refuses other keys", async () => {
    const r = await post("/v1/chat/completions", { model: "no-such-route", messages: [{ role: "user", content: "x" }] }, t.key);
    const requestId = r.res.headers.get("x-request-id")!;
    const ok = await post("/v1/feedback", { request_id: requestId, action: "accepted", score: 1 }, t.key);
    expect(ok.res.status).toBe(200);
    expect(ok.json).toMatchObject({ request_id: requestId, action: "accepted", score: 1 });
    const again = await post("/v1/feedback", { request_id: requestId, action: "edited" }, t.key);
    expect(again.res.status).toBe(200);
    const rows = await prisma.feedback.findMany({ where: { requestId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "edited", apiKeyId: t.keyId, tenantId: t.tenantId });

    const other = await t.createKey();
    await proxy.reloadConfig();
    const denied = await post("/v1/feedback", { request_id: requestId, action: "abandoned" }, other.secret);
    expect(denied.res.status).toBe(404);
    // Another proxy has never seen the request: it finds the owner in the request log.
    await proxy.flushLogs();
    const other2 = await startTestProxy();
    try {
      const viaLog = await fetch(other2.url + "/v1/feedback", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.key}` },
        body: JSON.stringify({ request_id: requestId, action: "regenerated" }),
      });
      expect(viaLog.status).toBe(200);
      expect((await prisma.feedback.findUniqueOrThrow({ where: { requestId } })).action).toBe("regenerated");
    } finally {
      await other2.close();
    }
    const bad = await post("/v1/feedback", { request_id: requestId, action: "loved" }, t.key);
    expect(bad.res.status).toBe(400);
    expect(bad.json.error!.param).toBe("action");
  });
});

describe("revocation", () => {
  it("a revoked key is refused by every running proxy within one second", async () => {
    const second = await startTestProxy();
    try {
      const k = await t.createKey();
      await Promise.all([proxy.reloadConfig(), second.reloadConfig()]);
      for (const p of [proxy, second]) {
        expect((await fetch(p.url + "/v1/models", { headers: { authorization: `Bearer ${k.secret}` } })).status).toBe(200);
        expect((await fetch(p.url + "/v1/models", { headers: { authorization: `Bearer ${t.key}` } })).status).toBe(200);
      }
      await prisma.apiKey.update({ where: { id: k.id }, data: { revokedAt: new Date() } });
      await publishConfigChange(redis, { tenantId: t.tenantId, reason: "key.revoke" });
      const revokedAt = Date.now();
      for (const p of [proxy, second]) {
        let status = 200;
        while (Date.now() < revokedAt + 1000) {
          status = (await fetch(p.url + "/v1/models", { headers: { authorization: `Bearer ${k.secret}` } })).status;
          if (status === 401) break;
          await new Promise((r) => setTimeout(r, 25));
        }
        expect(status).toBe(401);
        // The tenant's other keys are untouched by its partial reload.
        expect((await fetch(p.url + "/v1/models", { headers: { authorization: `Bearer ${t.key}` } })).status).toBe(200);
      }
    } finally {
      await second.close();
    }
  });

  it("last_used_at is written lazily, in batches", async () => {
    const lazy = await startTestProxy({ lastUsedIntervalMs: 100 });
    try {
      const k = await t.createKey();
      await lazy.reloadConfig();
      const r = await fetch(lazy.url + "/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${k.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "no-such-route", messages: [{ role: "user", content: "x" }] }),
      });
      expect(r.status).toBe(404);
      let row = await prisma.apiKey.findUniqueOrThrow({ where: { id: k.id } });
      for (let i = 0; i < 50 && !row.lastUsedAt; i++) {
        await new Promise((res) => setTimeout(res, 50));
        row = await prisma.apiKey.findUniqueOrThrow({ where: { id: k.id } });
      }
      expect(row.lastUsedAt).toBeInstanceOf(Date);
    } finally {
      await lazy.close();
    }
  });
});
