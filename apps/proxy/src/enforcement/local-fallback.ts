// What a proxy does with limits and budgets while Redis is unreachable, for tenants that chose fail-open:
// counts in this process's memory with the same arithmetic, and remembers every delta so that it can be
// replayed into Redis when Redis returns. Each proxy only sees its own traffic, so during an outage a
// limit holds per proxy rather than across them; budgets start from the spend Redis last reported.
import { checkWindow, RATE_WINDOW_MS } from "@gateway/policy/limits";

interface RateDelta {
  count: number;
  /** When the counter stops mattering (end of the next window): older deltas are not replayed. */
  expiresAtMs: number;
}

export class LocalFallback {
  private readonly rateCounters = new Map<string, RateDelta>();
  /** Spend and reservations made locally, per budget window hash key. */
  private readonly budgetLocal = new Map<string, { spent: bigint; reserved: bigint }>();
  /** Last spent+reserved Redis reported per budget window, the floor the local count adds to. */
  private readonly budgetSeen = new Map<string, bigint>();
  private readonly pendingSpend = new Map<string, bigint>();
  private writes = 0;

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  rememberBudget(hashKey: string, spentPlusReserved: bigint): void {
    this.budgetSeen.set(hashKey, spentPlusReserved);
  }

  budgetUsed(hashKey: string): bigint {
    const local = this.budgetLocal.get(hashKey);
    return (this.budgetSeen.get(hashKey) ?? 0n) + (local ? local.spent + local.reserved : 0n);
  }

  checkRate(counter: { current: string; previous: string }, limit: number, cost: number, nowMs: number) {
    return checkWindow({
      current: this.rateCounters.get(counter.current)?.count ?? 0,
      previous: this.rateCounters.get(counter.previous)?.count ?? 0,
      elapsedMs: nowMs % this.windowMs,
      windowMs: this.windowMs,
      limit,
      cost,
    });
  }

  addRate(counterKey: string, cost: number, nowMs: number): void {
    if (cost === 0) return;
    // A long outage must not grow memory without bound: windows past their use are neither checked nor replayed.
    if (++this.writes % 1000 === 0) {
      for (const [key, delta] of this.rateCounters) if (delta.expiresAtMs <= nowMs) this.rateCounters.delete(key);
    }
    const seen = this.rateCounters.get(counterKey);
    const expiresAtMs = (Math.floor(nowMs / this.windowMs) + 2) * this.windowMs;
    if (seen) seen.count += cost;
    else this.rateCounters.set(counterKey, { count: cost, expiresAtMs });
  }

  reserveBudget(hashKey: string, micros: bigint): void {
    const local = this.budgetLocal.get(hashKey) ?? { spent: 0n, reserved: 0n };
    local.reserved += micros;
    this.budgetLocal.set(hashKey, local);
  }

  /** Settles a local reservation, or records spend of a Redis admission whose settlement could not reach Redis. */
  settleBudget(hashKey: string, reservedMicros: bigint, actualMicros: bigint): void {
    const local = this.budgetLocal.get(hashKey) ?? { spent: 0n, reserved: 0n };
    local.reserved = local.reserved > reservedMicros ? local.reserved - reservedMicros : 0n;
    local.spent += actualMicros;
    this.budgetLocal.set(hashKey, local);
    this.pendingSpend.set(hashKey, (this.pendingSpend.get(hashKey) ?? 0n) + actualMicros);
  }

  hasPending(): boolean {
    return this.pendingSpend.size > 0 || this.rateCounters.size > 0;
  }

  /**
   * Takes every delta still worth replaying, grouped by tenant hash tag so that each group is one script on
   * one slot. The local counts are cleared: Redis holds them from here on.
   */
  drain(nowMs: number): Map<string, { spend: [string, bigint][]; rate: [string, number, number][] }> {
    const byTag = new Map<string, { spend: [string, bigint][]; rate: [string, number, number][] }>();
    const group = (key: string) => {
      const tag = key.slice(0, key.indexOf("}") + 1);
      let g = byTag.get(tag);
      if (!g) byTag.set(tag, (g = { spend: [], rate: [] }));
      return g;
    };
    for (const [key, micros] of this.pendingSpend) if (micros > 0n) group(key).spend.push([key, micros]);
    for (const [key, delta] of this.rateCounters) {
      const ttl = delta.expiresAtMs - nowMs;
      if (ttl > 0) group(key).rate.push([key, delta.count, ttl]);
    }
    this.pendingSpend.clear();
    this.rateCounters.clear();
    this.budgetLocal.clear();
    return byTag;
  }

  /** Puts back a drained group whose replay failed, so nothing counted is lost. */
  restore(group: { spend: [string, bigint][]; rate: [string, number, number][] }, nowMs: number): void {
    for (const [key, micros] of group.spend) {
      this.pendingSpend.set(key, (this.pendingSpend.get(key) ?? 0n) + micros);
      const local = this.budgetLocal.get(key) ?? { spent: 0n, reserved: 0n };
      local.spent += micros;
      this.budgetLocal.set(key, local);
    }
    for (const [key, count, ttl] of group.rate) {
      const seen = this.rateCounters.get(key);
      if (seen) seen.count += count;
      else this.rateCounters.set(key, { count, expiresAtMs: nowMs + ttl });
    }
  }
}
