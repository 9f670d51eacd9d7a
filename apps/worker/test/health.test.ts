// The worker's health endpoints answer JSON; readiness reflects its dependencies.
import { afterAll, describe, expect, it } from "vitest";
import { startHealthServer } from "../src/health.ts";
import { loadEnv } from "../src/env.ts";

const servers: { close(): void }[] = [];
afterAll(() => servers.forEach((s) => s.close()));

describe("health server", () => {
  it("reports liveness and per-dependency readiness", async () => {
    let redisUp = true;
    const { server, port } = await startHealthServer(0, {
      postgres: async () => {},
      redis: async () => {
        if (!redisUp) throw new Error("connect ECONNREFUSED 10.0.0.1:6379");
      },
    });
    servers.push(server);
    const base = `http://127.0.0.1:${port}`;
    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { postgres: "ok", redis: "ok" } });
    redisUp = false;
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    const body = await notReady.json();
    expect(body).toEqual({ status: "not_ready", checks: { postgres: "ok", redis: "error: Error" } });
    expect(JSON.stringify(body)).not.toContain("10.0.0.1");
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it("rejects a bad environment naming the variable", () => {
    expect(() =>
      loadEnv({ DATABASE_URL: "postgres://x", REDIS_URL: "redis://x", GATEWAY_SECRET_KEY: "short" }),
    ).toThrow(/GATEWAY_SECRET_KEY/);
    expect(
      loadEnv({ DATABASE_URL: "postgres://x", REDIS_URL: "redis://x", GATEWAY_SECRET_KEY: "0123456789abcdef" })
        .WORKER_PORT,
    ).toBe(4020);
  });
});
