// Redis going away under a running proxy: requests keep being served where the tenant's fail modes allow
// (rate limits fail open by default, budgets fail closed), and once Redis is back the config channel is
// listened to again, so a revocation announced after the outage still lands within a second.
import { createPrisma, publishConfigChange } from "@gateway/db";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProxy } from "../src/server.ts";
import { startMock, type Mock } from "./helpers/mock.ts";
import { startPgCutter, type PgCutter } from "./helpers/pg-cutter.ts";
import { startTestProxy } from "./helpers/proxy.ts";
import { seedTenant } from "./helpers/seed.ts";

const prisma = createPrisma(process.env.DATABASE_URL!);
const redis = new Redis(process.env.REDIS_URL!);
let mock: Mock;
let relay: PgCutter;
let proxy: RunningProxy;
let errors = 0;

beforeAll(async () => {
  mock = await startMock();
  // The relay is a plain TCP cutter; pointed at Redis it cuts Redis.
  relay = await startPgCutter(process.env.REDIS_URL!);
  // Connection errors are the point of this test; they are counted, not printed.
  proxy = await startTestProxy({ envOverrides: { REDIS_URL: relay.url }, onError: () => void errors++ });
});
afterAll(async () => {
  await proxy.close();
  await relay.close();
  await mock.close();
  await prisma.$disconnect();
  redis.disconnect();
});

function chat(key: string) {
  return fetch(proxy.url + "/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hello" }], max_tokens: 20 }),
  });
}

describe("a Redis outage", () => {
  it("serves tenants whose limits fail open, refuses budgets that fail closed, and recovers", async () => {
    const open = await seedTenant(prisma, { mockUrl: mock.url, secretKey: process.env.GATEWAY_SECRET_KEY! });
    const closed = await seedTenant(prisma, { mockUrl: mock.url, secretKey: process.env.GATEWAY_SECRET_KEY! });
    await prisma.budget.create({ data: { tenantId: closed.tenantId, name: "monthly", scope: "tenant", period: "month", limitMicros: 10_000_000n, action: "block" } });
    await proxy.reloadConfig();
    expect((await chat(open.key)).status).toBe(200);
    expect((await chat(closed.key)).status).toBe(200);

    relay.cut();
    const during = await chat(open.key);
    expect(during.status).toBe(200);
    await during.arrayBuffer();
    const refused = await chat(closed.key);
    expect(refused.status).toBe(503);
    const ready = await fetch(proxy.url + "/readyz");
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { redis: string }).redis).toBe("unreachable");

    expect(errors).toBeGreaterThan(0);
    relay.restore();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await fetch(proxy.url + "/readyz")).status;
    }
    expect(status).toBe(200);
    let budgeted = 0;
    for (let i = 0; i < 50 && budgeted !== 200; i++) {
      const r = await chat(closed.key);
      budgeted = r.status;
      await r.arrayBuffer();
      if (budgeted !== 200) await new Promise((res) => setTimeout(res, 50));
    }
    expect(budgeted).toBe(200);

    // The subscriber is back on the config channel.
    const k = await open.createKey();
    await proxy.reloadConfig();
    await prisma.apiKey.update({ where: { id: k.id }, data: { revokedAt: new Date() } });
    await publishConfigChange(redis, { tenantId: open.tenantId, reason: "key.revoke" });
    const t0 = Date.now();
    let revoked = 200;
    while (Date.now() < t0 + 1000 && revoked !== 401) {
      revoked = (await fetch(proxy.url + "/v1/models", { headers: { authorization: `Bearer ${k.secret}` } })).status;
      if (revoked !== 401) await new Promise((r) => setTimeout(r, 25));
    }
    expect(revoked).toBe(401);
  });
});
