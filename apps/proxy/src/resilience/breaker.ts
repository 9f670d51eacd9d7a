// Circuit breakers per target (tenant + model/deployment), shared by every proxy through Redis: one Lua
// script per event keeps the state change atomic, so half-open admits exactly one probe across all proxies.
// The rules are packages/policy/src/breaker.ts; the script is their Redis form.
//
// Hot path: an open breaker is cached locally until its cool-down ends and a closed one for `syncIntervalMs`,
// so a healthy target costs at most one Redis call per proxy per sync interval, and an open one none.
import type { Redis } from "ioredis";
import {
  DEFAULT_BREAKER_CONFIG,
  breakerStatus,
  type BreakerConfig,
  type BreakerState,
  type BreakerStatus,
} from "@gateway/policy/breaker";

export interface BreakerPermit {
  allowed: boolean;
  /** This call is the half-open probe: report its outcome with recordSuccess/recordFailure. */
  probe: boolean;
  state: BreakerStatus;
}

export interface CircuitBreakers {
  acquire(tenantId: string, target: string): Promise<BreakerPermit>;
  recordFailure(tenantId: string, target: string): Promise<void>;
  recordSuccess(tenantId: string, target: string): Promise<void>;
  /**
   * The hot-path form: answers from local state at once, never waiting on Redis. A stale or unknown entry is
   * allowed and re-synced in the background; a half-open breaker starts a background probe acquisition and
   * lets the call through only once the probe slot is this proxy's (so exactly one probe still runs across
   * all proxies, one request later than the async form would).
   */
  allowNow(tenantId: string, target: string): boolean;
  /** Fire-and-forget forms of recordSuccess/recordFailure for the hot path. */
  reportSuccess(tenantId: string, target: string): void;
  reportFailure(tenantId: string, target: string): void;
  /** Resolves when every background Redis call started so far has finished (tests, shutdown). */
  settled(): Promise<void>;
  /** Every breaker this proxy has seen, as it last saw it: for /metrics. */
  snapshot(): Array<{ tenantId: string; target: string; state: BreakerStatus }>;
}

export interface CircuitBreakerOptions {
  redis: Redis;
  config?: Partial<BreakerConfig>;
  /** How long a closed or half-open (probe taken) state is trusted locally before asking Redis again. */
  syncIntervalMs?: number;
  /** Redis calls slower than this are abandoned and the call is allowed (the breaker fails open). */
  redisTimeoutMs?: number;
  now?: () => number;
  onError?: (err: Error, context: string) => void;
}

export function breakerKey(tenantId: string, target: string): string {
  return `{t:${tenantId}}:breaker:${target}`;
}

// ARGV: op (acquire|failure|success), now, threshold, windowMs, coolDownMs, probeLeaseMs.
// Returns [failures, windowStart, openUntil, probeUntil, allowed, probe]. Mirrors packages/policy/src/breaker.ts.
const SCRIPT = `
local k = KEYS[1]
local op = ARGV[1]
local now = tonumber(ARGV[2])
local threshold = tonumber(ARGV[3])
local windowMs = tonumber(ARGV[4])
local coolDown = tonumber(ARGV[5])
local lease = tonumber(ARGV[6])
local v = redis.call('HMGET', k, 'f', 'w', 'o', 'p')
local f = tonumber(v[1]) or 0
local w = tonumber(v[2]) or 0
local o = tonumber(v[3]) or 0
local p = tonumber(v[4]) or 0
local status = 'closed'
if o ~= 0 then
  if now < o then status = 'open' else status = 'half_open' end
end
local allowed = 0
local probe = 0
local changed = false
if op == 'acquire' then
  if status == 'closed' then allowed = 1
  elseif status == 'half_open' and now >= p then
    allowed = 1; probe = 1; p = now + lease; changed = true
  end
elseif op == 'failure' then
  if status == 'half_open' then
    f = 0; w = 0; o = now + coolDown; p = 0; changed = true
  elseif status == 'closed' then
    if now - w >= windowMs then f = 1; w = now else f = f + 1 end
    if f >= threshold then f = 0; w = 0; o = now + coolDown end
    p = 0; changed = true
  end
elseif op == 'success' then
  if status == 'half_open' then
    redis.call('DEL', k)
    return {0, 0, 0, 0, 0, 0}
  end
end
if changed then
  redis.call('HSET', k, 'f', f, 'w', w, 'o', o, 'p', p)
  local ttl = windowMs
  if o ~= 0 then ttl = (o - now) + 4 * math.max(coolDown, lease) end
  redis.call('PEXPIRE', k, math.max(ttl, 1))
end
return {f, w, o, p, allowed, probe}
`;

interface LocalEntry {
  tenantId: string;
  target: string;
  state: BreakerState;
  syncedAt: number;
  /** allowNow(): a probe slot acquired in the background, not yet used by a call. */
  probeGranted?: boolean;
}

type BreakerRedis = Redis & {
  gatewayBreaker(key: string, ...args: Array<string | number>): Promise<number[]>;
};

export function createCircuitBreakers(opts: CircuitBreakerOptions): CircuitBreakers {
  const cfg: BreakerConfig = { ...DEFAULT_BREAKER_CONFIG, ...opts.config };
  const syncIntervalMs = opts.syncIntervalMs ?? 1_000;
  const redisTimeoutMs = opts.redisTimeoutMs ?? 250;
  const now = opts.now ?? Date.now;
  const onError = opts.onError ?? ((err: Error, context: string) => console.error(`[circuit-breaker] ${context}: ${err.message}`));
  const redis = opts.redis as BreakerRedis;
  if (typeof redis.gatewayBreaker !== "function") redis.defineCommand("gatewayBreaker", { numberOfKeys: 1, lua: SCRIPT });
  const local = new Map<string, LocalEntry>();
  const background = new Set<Promise<unknown>>();
  const syncing = new Set<string>();

  /** `forHotPath`: a probe slot this acquire wins is kept for the next allowNow() call to use. */
  async function run(op: "acquire" | "failure" | "success", tenantId: string, target: string, at: number, forHotPath = false): Promise<{ state: BreakerState; allowed: boolean; probe: boolean }> {
    const key = breakerKey(tenantId, target);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // After I/O of the current loop turn, so an answer that arrived while the loop was busy still counts
      // (timers run before I/O in each turn).
      timer = setTimeout(() => setImmediate(() => reject(new Error(`Redis did not answer within ${redisTimeoutMs}ms`))), redisTimeoutMs);
    });
    try {
      const r = await Promise.race([redis.gatewayBreaker(key, op, at, cfg.failureThreshold, cfg.windowMs, cfg.coolDownMs, cfg.probeLeaseMs), timeout]);
      const [failures = 0, windowStart = 0, openUntil = 0, probeUntil = 0, allowed = 0, probe = 0] = r.map(Number);
      const state = { failures, windowStart, openUntil, probeUntil };
      local.set(key, { tenantId, target, state, syncedAt: at, probeGranted: forHotPath && probe === 1 });
      return { state, allowed: allowed === 1, probe: probe === 1 };
    } finally {
      clearTimeout(timer);
    }
  }

  async function acquire(tenantId: string, target: string): Promise<BreakerPermit> {
    const at = now();
    const cached = local.get(breakerKey(tenantId, target));
    if (cached) {
      const status = breakerStatus(cached.state, at);
      if (status === "open") return { allowed: false, probe: false, state: "open" };
      const fresh = at - cached.syncedAt < syncIntervalMs;
      if (fresh && status === "closed") return { allowed: true, probe: false, state: "closed" };
      // Half-open with the probe slot taken (by this proxy or another): wait for its outcome.
      if (fresh && status === "half_open" && at < cached.state.probeUntil) return { allowed: false, probe: false, state: "half_open" };
    }
    try {
      const r = await run("acquire", tenantId, target, at);
      return { allowed: r.allowed, probe: r.probe, state: breakerStatus(r.state, at) };
    } catch (err) {
      // Breakers protect latency, not correctness: without Redis, calls go through.
      onError(err instanceof Error ? err : new Error(String(err)), `breaker ${target}: acquire failed, allowing the call`);
      return { allowed: true, probe: false, state: cached ? breakerStatus(cached.state, at) : "closed" };
    }
  }

  async function record(op: "failure" | "success", tenantId: string, target: string): Promise<void> {
    const at = now();
    if (op === "success") {
      const cached = local.get(breakerKey(tenantId, target));
      // Successes only matter to a half-open breaker; a closed one needs no Redis call.
      if (!cached || breakerStatus(cached.state, at) === "closed") return;
    }
    try {
      await run(op, tenantId, target, at);
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)), `breaker ${target}: recording a ${op} failed`);
    }
  }

  function inBackground(work: Promise<unknown>): void {
    background.add(work);
    void work.finally(() => background.delete(work));
  }

  function syncInBackground(tenantId: string, target: string, key: string, at: number): void {
    if (syncing.has(key)) return;
    syncing.add(key);
    inBackground(
      run("acquire", tenantId, target, at, true)
        .catch((err: unknown) => onError(err instanceof Error ? err : new Error(String(err)), `breaker ${target}: background sync failed`))
        .finally(() => syncing.delete(key)),
    );
  }

  function allowNow(tenantId: string, target: string): boolean {
    const at = now();
    const key = breakerKey(tenantId, target);
    const cached = local.get(key);
    if (!cached) {
      syncInBackground(tenantId, target, key, at);
      return true;
    }
    const status = breakerStatus(cached.state, at);
    if (status === "open") return false;
    if (cached.probeGranted) {
      cached.probeGranted = false;
      return at < cached.state.probeUntil;
    }
    const stale = at - cached.syncedAt >= syncIntervalMs;
    if (status === "closed") {
      if (stale) syncInBackground(tenantId, target, key, at);
      return true;
    }
    // Half-open: try for the probe slot (if nobody holds it, or our view is stale), and wait for it.
    if (stale || at >= cached.state.probeUntil) syncInBackground(tenantId, target, key, at);
    return false;
  }

  return {
    acquire,
    recordFailure: (tenantId, target) => record("failure", tenantId, target),
    recordSuccess: (tenantId, target) => record("success", tenantId, target),
    allowNow,
    reportFailure: (tenantId, target) => inBackground(record("failure", tenantId, target)),
    reportSuccess: (tenantId, target) => inBackground(record("success", tenantId, target)),
    settled: async () => {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
    snapshot: () => {
      const at = now();
      return [...local.values()].map((e) => ({ tenantId: e.tenantId, target: e.target, state: breakerStatus(e.state, at) }));
    },
  };
}
