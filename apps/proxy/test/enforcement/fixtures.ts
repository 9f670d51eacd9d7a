// Shared set-up for the enforcement tests: a fresh tenant id per test (every Redis key it touches carries
// it), budget and limit rows shaped like the proxy snapshot, and a TCP proxy in front of the shared Redis
// that a test can cut and restore to play a Redis outage without stopping Redis itself.
import { randomUUID } from "node:crypto";
import net from "node:net";
import type { BudgetRule } from "@gateway/policy/budget";
import type { RateLimitRule, RequestSubject } from "@gateway/policy/limits";
import { Redis } from "ioredis";
import type { EnforcementTenant } from "../../src/enforcement/enforcer.ts";
import { createEnforcementRedis } from "../../src/enforcement/redis-client.ts";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export function newTenant(over: Partial<EnforcementTenant> = {}): EnforcementTenant {
  return { id: `enf-${randomUUID()}`, timeZone: "UTC", budgetFailMode: "closed", rateLimitFailMode: "open", ...over };
}

export function subjectOf(tenant: EnforcementTenant, over: Partial<RequestSubject> = {}): RequestSubject {
  return { tenantId: tenant.id, appId: "app-1", apiKeyId: "key-1", routeId: "route-main", modelName: "model-a", ...over };
}

export function budgetRule(over: Partial<BudgetRule> & Pick<BudgetRule, "limitMicros">): BudgetRule {
  return {
    id: `budget-${randomUUID()}`,
    name: "monthly",
    scope: "tenant",
    appId: null,
    apiKeyId: null,
    routeId: null,
    period: "month",
    softThresholdPct: 80,
    action: "block",
    downgradeRouteId: null,
    ...over,
  };
}

export function limitRule(over: Partial<RateLimitRule> & Pick<RateLimitRule, "scope">): RateLimitRule {
  return { id: `limit-${randomUUID()}`, appId: null, apiKeyId: null, routeId: null, modelName: null, rpm: null, tpm: null, ...over };
}

/** An instant in the middle of a rate window, so a test's requests never straddle a window boundary. */
export function midWindow(windowMs = 60_000): Date {
  return new Date(Math.floor(Date.now() / windowMs) * windowMs + windowMs / 2);
}

export async function readyRedis(url = REDIS_URL): Promise<Redis> {
  const redis = createEnforcementRedis(url, { commandTimeoutMs: 2000 });
  await waitFor(() => redis.status === "ready");
  return redis;
}

/** A plain client for inspecting Redis in assertions. */
export function inspector(): Redis {
  return new Redis(REDIS_URL);
}

export async function waitFor(condition: () => boolean | Promise<boolean>, what = "condition"): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A port on loopback where nothing listens. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A TCP proxy to the shared Redis whose link can be cut and restored. */
export class CuttableRedisLink {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  /** Holds every client → Redis chunk this long (in order): a Redis too slow to answer in time. */
  delayMs = 0;

  async open(): Promise<void> {
    const target = new URL(REDIS_URL);
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.on("data", (chunk) => {
        if (this.delayMs === 0) upstream.write(chunk);
        else setTimeout(() => upstream.write(chunk), this.delayMs);
      });
      upstream.pipe(client);
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
