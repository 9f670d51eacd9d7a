// Circuit breakers on the real Redis: two breaker sets stand for two proxies sharing one state.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { CLOSED, breakerAcquire, breakerFailure, breakerSuccess, type BreakerConfig, type BreakerState } from "@gateway/policy/breaker";
import { breakerKey, createCircuitBreakers, type CircuitBreakers } from "../../src/resilience/breaker.ts";
import { breakerGate } from "../../src/resilience/gate.ts";

const config: BreakerConfig = { failureThreshold: 3, windowMs: 10_000, coolDownMs: 30_000, probeLeaseMs: 20_000 };
const SYNC = 1_000;
let redisA: Redis;
let redisB: Redis;
let clock: number;
let tenantId: string;
let proxyA: CircuitBreakers;
let proxyB: CircuitBreakers;

beforeAll(() => {
  redisA = new Redis(process.env.REDIS_URL!);
  redisB = new Redis(process.env.REDIS_URL!);
});
afterAll(async () => {
  await redisA.quit();
  await redisB.quit();
});
beforeEach(() => {
  clock = 1_700_000_000_000;
  tenantId = `breaker-${randomUUID()}`;
  const common = { config, syncIntervalMs: SYNC, now: () => clock, onError: (err: Error) => { throw err; } };
  proxyA = createCircuitBreakers({ redis: redisA, ...common });
  proxyB = createCircuitBreakers({ redis: redisB, ...common });
});

async function trip(p: CircuitBreakers, target = "gpt-4o") {
  for (let i = 0; i < config.failureThreshold; i++) await p.recordFailure(tenantId, target);
}

describe("circuit breakers shared through Redis", () => {
  it("a closed breaker lets calls through", async () => {
    expect(await proxyA.acquire(tenantId, "gpt-4o")).toEqual({ allowed: true, probe: false, state: "closed" });
  });

  it("failures on one proxy open the breaker for every proxy", async () => {
    await proxyA.recordFailure(tenantId, "gpt-4o");
    await proxyB.recordFailure(tenantId, "gpt-4o");
    expect(await proxyA.acquire(tenantId, "gpt-4o")).toMatchObject({ allowed: true });
    await proxyB.recordFailure(tenantId, "gpt-4o");
    // A trusts its cached "closed" for one sync interval, then learns what B recorded.
    clock += SYNC;
    expect(await proxyA.acquire(tenantId, "gpt-4o")).toEqual({ allowed: false, probe: false, state: "open" });
    expect(await proxyB.acquire(tenantId, "gpt-4o")).toEqual({ allowed: false, probe: false, state: "open" });
    expect(proxyB.snapshot()).toContainEqual({ tenantId, target: "gpt-4o", state: "open" });
  });

  it("breakers are per target and per tenant", async () => {
    await trip(proxyA, "gpt-4o");
    expect(await proxyA.acquire(tenantId, "claude")).toMatchObject({ allowed: true });
    expect(await proxyA.acquire(`${tenantId}-other`, "gpt-4o")).toMatchObject({ allowed: true });
  });

  it("after the cool-down exactly one probe passes across all proxies, and its success re-closes for all", async () => {
    await trip(proxyA);
    clock += config.coolDownMs;
    const [a, b] = await Promise.all([proxyA.acquire(tenantId, "gpt-4o"), proxyB.acquire(tenantId, "gpt-4o")]);
    expect([a, b].filter((p) => p.allowed)).toEqual([{ allowed: true, probe: true, state: "half_open" }]);
    const prober = a.allowed ? proxyA : proxyB;
    const other = a.allowed ? proxyB : proxyA;
    expect(await other.acquire(tenantId, "gpt-4o")).toMatchObject({ allowed: false, state: "half_open" });

    await prober.recordSuccess(tenantId, "gpt-4o");
    expect(await prober.acquire(tenantId, "gpt-4o")).toEqual({ allowed: true, probe: false, state: "closed" });
    clock += SYNC;
    expect(await other.acquire(tenantId, "gpt-4o")).toEqual({ allowed: true, probe: false, state: "closed" });
  });

  it("a failed probe re-opens the breaker for another cool-down", async () => {
    await trip(proxyA);
    clock += config.coolDownMs;
    expect(await proxyB.acquire(tenantId, "gpt-4o")).toMatchObject({ probe: true });
    await proxyB.recordFailure(tenantId, "gpt-4o");
    clock += SYNC;
    expect(await proxyA.acquire(tenantId, "gpt-4o")).toMatchObject({ allowed: false, state: "open" });
    clock += config.coolDownMs;
    expect(await proxyA.acquire(tenantId, "gpt-4o")).toMatchObject({ allowed: true, probe: true });
  });

  it("an open breaker is answered from local memory until its cool-down ends: no Redis call", async () => {
    await trip(proxyA);
    const calls = vi.spyOn(redisA as unknown as { gatewayBreaker: () => unknown }, "gatewayBreaker");
    for (let i = 0; i < 5; i++) expect((await proxyA.acquire(tenantId, "gpt-4o")).allowed).toBe(false);
    expect(calls).not.toHaveBeenCalled();
    calls.mockRestore();
  });

  it("keeps its state under the tenant's hash tag", async () => {
    await proxyA.recordFailure(tenantId, "gpt-4o");
    expect(await redisA.exists(breakerKey(tenantId, "gpt-4o"))).toBe(1);
    expect(breakerKey(tenantId, "gpt-4o")).toBe(`{t:${tenantId}}:breaker:gpt-4o`);
  });

  it("fails open when Redis is unreachable, and says so", async () => {
    const dead = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const errors: string[] = [];
    const p = createCircuitBreakers({ redis: dead, config, onError: (err, ctx) => errors.push(`${ctx}: ${err.message}`) });
    expect(await p.acquire(tenantId, "gpt-4o")).toMatchObject({ allowed: true });
    expect(errors).toHaveLength(1);
    dead.disconnect();
  });

  it("the Redis script follows the same rules as the pure state machine", async () => {
    // A fixed pseudo-random sequence of events at increasing times, replayed through both.
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let pure: BreakerState = CLOSED;
    const p = createCircuitBreakers({ redis: redisA, config, syncIntervalMs: 0, now: () => clock, onError: (err) => { throw err; } });
    for (let i = 0; i < 200; i++) {
      clock += Math.floor(next() * 8_000);
      const r = next();
      if (r < 0.5) {
        const expected = breakerAcquire(pure, clock, config);
        pure = expected.state;
        const got = await p.acquire(tenantId, "fuzz");
        expect({ i, allowed: got.allowed, probe: got.probe }).toEqual({ i, allowed: expected.allowed, probe: expected.probe });
      } else if (r < 0.85) {
        pure = breakerFailure(pure, clock, config);
        await p.recordFailure(tenantId, "fuzz");
      } else {
        pure = breakerSuccess(pure, clock);
        await p.recordSuccess(tenantId, "fuzz");
      }
    }
  });
});

describe("the hot-path gate (never waits on Redis)", () => {
  const key = () => `${tenantId}:openai/gpt-4o`;

  it("learns in the background what other proxies recorded, and refuses from then on", async () => {
    const gateA = breakerGate(proxyA);
    const gateB = breakerGate(proxyB);
    expect(gateB.allow(key(), clock)).toBe(true);
    await proxyB.settled();
    for (let i = 0; i < config.failureThreshold; i++) gateA.onFailure(key(), "server_error", clock);
    await proxyA.settled();
    expect(gateA.allow(key(), clock)).toBe(false);
    clock += SYNC;
    expect(gateB.allow(key(), clock)).toBe(true); // stale view: allowed, and a re-sync starts
    await proxyB.settled();
    expect(gateB.allow(key(), clock)).toBe(false);
  });

  it("client errors and refused outputs do not count against the target", async () => {
    const gate = breakerGate(proxyA);
    for (let i = 0; i < 5; i++) {
      gate.onFailure(key(), "client_error", clock);
      gate.onFailure(key(), "invalid_output", clock);
    }
    await proxyA.settled();
    expect(await redisA.exists(breakerKey(tenantId, "openai/gpt-4o"))).toBe(0);
  });

  it("half-open: exactly one proxy gets the probe, its success re-closes for both", async () => {
    const gateA = breakerGate(proxyA);
    const gateB = breakerGate(proxyB);
    for (let i = 0; i < config.failureThreshold; i++) gateA.onFailure(key(), "timeout", clock);
    await proxyA.settled();
    expect(gateB.allow(key(), clock)).toBe(true);
    await proxyB.settled();
    clock += config.coolDownMs;

    // Both ask; each starts a background acquisition; only one wins the slot.
    expect([gateA.allow(key(), clock), gateB.allow(key(), clock)]).toEqual([false, false]);
    await Promise.all([proxyA.settled(), proxyB.settled()]);
    const answers = [gateA.allow(key(), clock), gateB.allow(key(), clock)];
    expect(answers.filter(Boolean)).toHaveLength(1);
    // The winner used its slot: a second call on it waits for the probe's outcome.
    const [winner, loser, winnerBreakers, loserBreakers] = answers[0] ? [gateA, gateB, proxyA, proxyB] : [gateB, gateA, proxyB, proxyA];
    expect(winner.allow(key(), clock)).toBe(false);

    winner.onSuccess(key(), clock);
    await winnerBreakers.settled();
    expect(winner.allow(key(), clock)).toBe(true);
    clock += SYNC;
    loser.allow(key(), clock);
    await loserBreakers.settled();
    expect(loser.allow(key(), clock)).toBe(true);
  });
});
