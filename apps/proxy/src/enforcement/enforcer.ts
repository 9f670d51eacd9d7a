// Rate limits and budgets on the hot path. `admit` runs one Lua script (one Redis round trip) that checks
// every applicable limit and budget and, if all pass, counts the request and reserves its worst-case cost;
// `settle` replaces the reservation with the real cost once the call (stream included) is over. When Redis
// is unreachable each tenant's fail mode decides: closed refuses with 503, open counts in memory and
// replays the counts into Redis when it returns.
import {
  applicableBudgets,
  budgetAlertDedupeKey,
  budgetWindow,
  decideBudgets,
  type BudgetRule,
  type BudgetState,
  type BudgetWindow,
} from "@gateway/policy/budget";
import { GatewayError } from "@gateway/policy/errors";
import {
  applicableLimits,
  type ApplicableLimit,
  type LimitState,
  RATE_WINDOW_MS,
  type RateLimitRule,
  rateLimitHeaders,
  type RequestSubject,
  retryAfterSeconds,
} from "@gateway/policy/limits";
import { LocalFallback } from "./local-fallback.ts";
import {
  admitScript,
  initBudgetScript,
  reserveMoreScript,
  reconcileScript,
  type RedisLike,
  settleScript,
  tenantKeys,
} from "./scripts.ts";
import type { SpendSource } from "./spend-source.ts";

export type FailMode = "closed" | "open";

/** The tenant fields enforcement needs; the proxy snapshot's TenantConfig has them. */
export interface EnforcementTenant {
  id: string;
  timeZone: string;
  budgetFailMode: FailMode;
  rateLimitFailMode: FailMode;
}

export interface AdmitInput {
  /** Becomes the reservation id: unique per client request. */
  requestId: string;
  tenant: EnforcementTenant;
  subject: RequestSubject;
  /** The tenant's rate limits (all of them: the ones that apply are picked here). */
  rateLimits: readonly RateLimitRule[];
  /** The key's own rpm/tpm columns. */
  key?: { rpm: number | null; tpm: number | null };
  /** The tenant's budgets (all of them). */
  budgets: readonly BudgetRule[];
  /** Counted against TPM now and corrected at settle: input estimate + the output allowance (max tokens). */
  estimatedTokens: number;
  /** Worst-case cost of the call, reserved against every applicable budget (see worstCaseCostMicros). */
  reserveMicros: bigint;
  now?: Date;
  /** How long the reservation holds if the proxy never settles it (it crashed). Must outlast the call. */
  reservationTtlMs?: number;
}

export interface HeldBudget {
  budget: BudgetRule;
  window: BudgetWindow;
  hashKey: string;
}

export interface AdmittedRequest {
  kind: "admitted";
  requestId: string;
  tenantId: string;
  /** redis: counted in Redis; local: counted in memory while Redis was unreachable (fail-open); none: nothing applied. */
  mode: "redis" | "local" | "none";
  /** OpenAI's x-ratelimit-* headers for the response. */
  headers: Record<string, string>;
  /** Reserved so far (grows with reserveMore). */
  reserveMicros: bigint;
  estimatedTokens: number;
  /** Budgets this request counts against, with the window it counts in (fixed at admission). */
  budgets: readonly HeldBudget[];
  /** TPM counters the estimate went into, corrected at settle. */
  tokenCounters: readonly string[];
  reservationExpiresAt: number;
  /** The tenant's budget fail mode at admission, for reserveMore during an outage. */
  budgetFailMode: FailMode;
}

/** A downgrade budget is spent: serve the request on this route instead (admit again for that route). */
export interface DowngradeVerdict {
  kind: "downgrade";
  budgetId: string;
  budgetName: string;
  downgradeRouteId: string;
}

export type Admission = AdmittedRequest | DowngradeVerdict;

export interface ActualUsage {
  /** Everything the request cost: every attempt, failed ones and cut streams included. */
  costMicros: bigint;
  /** Input + output tokens actually used over all attempts (estimates where a provider gave none). */
  totalTokens: number;
}

export interface BudgetAlert {
  kind: "budget_soft_threshold" | "budget_exhausted";
  tenantId: string;
  budgetId: string;
  budgetName: string;
  windowKey: string;
  /** AlertEvent.dedupeKey: one event per budget, kind and window. */
  dedupeKey: string;
  limitMicros: bigint;
  /** Spend when the signal fired; null when raised by a refused admission. */
  spentMicros: bigint | null;
}

export interface SettleResult {
  /** settled: in Redis; local: counted locally (queued for Redis); duplicate: this reservation was already settled. */
  outcome: "settled" | "local" | "duplicate" | "none";
  alerts: BudgetAlert[];
}

export interface EnforcerOptions {
  redis: RedisLike;
  /** Rebuilds a budget window Redis lost (see pgSpendSource). Without one, lost windows restart at zero. */
  spendSource?: SpendSource;
  /** A Redis call slower than this counts as Redis being unavailable. */
  redisTimeoutMs?: number;
  reservationTtlMs?: number;
  /** Soft-threshold and exhaustion signals, each raised once per budget window by whichever proxy saw it first. */
  onAlert?: (alert: BudgetAlert) => void;
  /** Failures of background work (replaying local counts); the counts are kept and retried. */
  onBackgroundError?: (err: unknown) => void;
  clock?: () => number;
}

export interface Enforcer {
  admit(input: AdmitInput): Promise<Admission>;
  /**
   * Reserves `extraMicros` more for an extra attempt (retry or fallback) of an admitted request. Throws
   * budget_exceeded when a block budget has no room for it; the caller then stops and settles.
   */
  reserveMore(admission: AdmittedRequest, extraMicros: bigint, opts?: { reservationTtlMs?: number }): Promise<void>;
  settle(admission: AdmittedRequest, actual: ActualUsage): Promise<SettleResult>;
  /** Seeds every applicable budget window of a tenant that Redis lacks, from the spend source. */
  rebuildSpend(input: { tenant: EnforcementTenant; budgets: readonly BudgetRule[]; now?: Date }): Promise<number>;
  /** Replays counts made while Redis was unreachable; runs by itself when Redis reconnects. */
  reconcile(): Promise<void>;
  /** Whether counts made during an outage still wait to be replayed. */
  hasPendingReconciliation(): boolean;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 250;
const DEFAULT_RESERVATION_TTL_MS = 10 * 60_000;
const SWEEP_BATCH = "20";
/**
 * How long a settled request id is remembered to refuse a second settlement. Duplicates come from a retry
 * right after a lost reply, so a short memory suffices and keeps one key per request from piling up.
 */
const SETTLED_MARKER_TTL_S = 120;
/** A budget window's counters outlive the window by a day, for calls that settle after it ends. */
const WINDOW_GRACE_MS = 24 * 3600_000;

const SCOPE_ORDER: Record<BudgetRule["scope"], number> = { key: 0, route: 1, app: 2, tenant: 3, model: 4 };

class RedisUnavailable extends Error {
  /** A timeout, unlike a refused connection, may hide a command that Redis ran after all. */
  readonly mayHaveRun: boolean;
  constructor(cause: unknown) {
    super(`redis unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "RedisUnavailable";
    this.mayHaveRun = cause instanceof Error && /timed out|did not answer/i.test(cause.message);
  }
}

// Replies that mean "this server cannot serve right now" rather than "the script is wrong".
const TRANSIENT_REPLY = /^(LOADING|READONLY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|BUSY|NOREPLICAS)/;

function isOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === "ReplyError") return TRANSIENT_REPLY.test(err.message);
  return true;
}

function asArray<T>(v: unknown): T[] {
  // cjson encodes an empty Lua table as {}.
  return Array.isArray(v) ? (v as T[]) : [];
}

interface AdmitReply {
  s: "ok" | "init" | "budget" | "downgrade" | "rate";
  i?: number | number[];
  ex?: number;
  r?: number;
  l?: [number, number][] | Record<string, never>;
  b?: ([string, string] | null)[] | Record<string, never>;
}

interface SettleReply {
  s: "ok" | "dup";
  soft?: number[] | Record<string, never>;
  ex?: number[] | Record<string, never>;
  spent?: string[] | Record<string, never>;
}

export function createEnforcer(options: EnforcerOptions): Enforcer {
  const { redis } = options;
  const timeoutMs = options.redisTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const clock = options.clock ?? Date.now;
  const local = new LocalFallback(RATE_WINDOW_MS);
  const rebuilding = new Map<string, Promise<void>>();
  let reconciling: Promise<void> | null = null;
  /** After a failed replay, admissions do not retry it before this time (the next reconnect always does). */
  let replayNotBefore = 0;
  const reportBackground = options.onBackgroundError ?? ((err: unknown) => console.warn("[enforcement]", err));

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          // Timers run before I/O in each turn of the event loop: after a turn that kept the loop busy past
          // the deadline, Redis's answer may already be waiting to be read. Looking once more after this
          // turn's I/O keeps a busy proxy from calling a prompt Redis unreachable (and refusing fail-closed).
          timer = setTimeout(() => setImmediate(() => reject(new Error(`redis did not answer within ${timeoutMs}ms`))), timeoutMs);
        }),
      ]);
    } catch (err) {
      if (isOutage(err)) throw new RedisUnavailable(err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  const onReady = () => {
    if (local.hasPending()) void reconcile();
  };
  redis.on("ready", onReady);

  function alert(kind: BudgetAlert["kind"], tenantId: string, held: HeldBudget, spent: bigint | null): BudgetAlert {
    const a: BudgetAlert = {
      kind,
      tenantId,
      budgetId: held.budget.id,
      budgetName: held.budget.name,
      windowKey: held.window.key,
      dedupeKey: budgetAlertDedupeKey(kind, held.budget.id, held.window.key),
      limitMicros: held.budget.limitMicros,
      spentMicros: spent,
    };
    options.onAlert?.(a);
    return a;
  }

  function budgetExceeded(held: HeldBudget): GatewayError {
    const resets = held.window.resetsAt ? `; it resets at ${held.window.resetsAt.toISOString()}` : "";
    return new GatewayError(
      "budget_exceeded",
      `budget '${held.budget.name}' (${held.budget.period}) has no room for this request${resets}`,
    );
  }

  function rateLimited(limit: ApplicableLimit, retryAfterMs: number, states: LimitState[]): GatewayError {
    const what = limit.kind === "rpm" ? "requests per minute" : "tokens per minute";
    return new GatewayError(
      "rate_limit_exceeded",
      `rate limit reached: ${limit.limit} ${what} at ${limit.scope} scope; retry after ${retryAfterSeconds(retryAfterMs)}s`,
      { headers: { "retry-after": String(retryAfterSeconds(retryAfterMs)), ...rateLimitHeaders(states) } },
    );
  }

  function unavailable(): GatewayError {
    return new GatewayError(
      "service_unavailable",
      "rate limit and budget counters are unreachable, and this tenant is set to fail closed: the request was not sent upstream. Retry shortly.",
      { headers: { "retry-after": "1" } },
    );
  }

  async function rebuildWindow(tenant: EnforcementTenant, held: HeldBudget): Promise<void> {
    let pending = rebuilding.get(held.hashKey);
    if (!pending) {
      pending = (async () => {
        const spent = options.spendSource
          ? await options.spendSource({
              tenantId: tenant.id,
              budget: held.budget,
              startsAt: held.window.startsAt,
              endsAt: held.window.resetsAt,
            })
          : 0n;
        const expireAt = held.window.resetsAt ? String(held.window.resetsAt.getTime() + WINDOW_GRACE_MS) : "0";
        await call(() => initBudgetScript.run(redis, [held.hashKey], [spent.toString(), expireAt]));
      })().finally(() => rebuilding.delete(held.hashKey));
      rebuilding.set(held.hashKey, pending);
    }
    await pending;
  }

  // budgetWindow formats the instant in the tenant's zone (Intl, several calls per budget): the window in
  // force is reused until the instant leaves it, which is exact because windows of a period tile time.
  const windows = new Map<string, BudgetWindow>();
  function windowAt(period: BudgetRule["period"], now: Date, timeZone: string): BudgetWindow {
    const k = `${period}|${timeZone}`;
    const w = windows.get(k);
    const t = now.getTime();
    if (w && w.startsAt && w.resetsAt && w.startsAt.getTime() <= t && t < w.resetsAt.getTime()) return w;
    const fresh = budgetWindow(period, now, timeZone);
    if (windows.size > 1000) windows.clear();
    windows.set(k, fresh);
    return fresh;
  }

  function plan(input: AdmitInput, nowMs: number) {
    const now = new Date(nowMs);
    const keys = tenantKeys(input.tenant.id);
    const limits = applicableLimits({ subject: input.subject, rateLimits: input.rateLimits, key: input.key });
    const held: HeldBudget[] = applicableBudgets(input.subject, input.budgets)
      .sort((a, b) => SCOPE_ORDER[a.scope] - SCOPE_ORDER[b.scope] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((budget) => {
        const window = windowAt(budget.period, now, input.tenant.timeZone);
        return { budget, window, hashKey: keys.budgetWindow(budget.id, window.key) };
      });
    const windowIndex = Math.floor(nowMs / RATE_WINDOW_MS);
    const counters = limits.map((l) => ({
      current: keys.rateCounter(l.scope, l.subject, l.kind, windowIndex),
      previous: keys.rateCounter(l.scope, l.subject, l.kind, windowIndex - 1),
    }));
    return { keys, limits, held, counters };
  }

  async function admit(input: AdmitInput): Promise<Admission> {
    if (!Number.isSafeInteger(input.estimatedTokens) || input.estimatedTokens < 0) {
      throw new RangeError(`estimatedTokens must be a non-negative integer, got ${input.estimatedTokens}`);
    }
    if (input.reserveMicros < 0n) throw new RangeError("reserveMicros must not be negative");
    const nowMs = input.now?.getTime() ?? clock();
    const { keys, limits, held, counters } = plan(input, nowMs);
    const ttl = input.reservationTtlMs ?? options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    const base = {
      kind: "admitted" as const,
      requestId: input.requestId,
      tenantId: input.tenant.id,
      reserveMicros: input.reserveMicros,
      estimatedTokens: input.estimatedTokens,
      budgets: held,
      tokenCounters: counters.filter((_, j) => limits[j]?.kind === "tpm").map((c) => c.current),
      reservationExpiresAt: nowMs + ttl,
      budgetFailMode: input.tenant.budgetFailMode,
    };
    if (limits.length === 0 && held.length === 0) return { ...base, mode: "none", headers: {} };

    const scriptKeys = [keys.reservations, keys.reservationRecords, ...held.map((h) => h.hashKey)];
    for (const c of counters) scriptKeys.push(c.current, c.previous);
    const args = [
      String(nowMs),
      input.requestId,
      String(nowMs + ttl),
      input.reserveMicros.toString(),
      String(input.estimatedTokens),
      String(limits.length),
      String(held.length),
      input.subject.routeId ?? "",
      SWEEP_BATCH,
      String(RATE_WINDOW_MS),
    ];
    for (const h of held) {
      const action = h.budget.action === "block" ? "b" : h.budget.action === "downgrade" ? "d" : "a";
      args.push(h.budget.limitMicros.toString(), action, h.budget.downgradeRouteId ?? "", h.window.key);
    }
    for (const l of limits) args.push(l.kind === "rpm" ? "r" : "t", String(l.limit));

    for (let round = 0; ; round++) {
      let reply: AdmitReply;
      try {
        reply = JSON.parse(String(await call(() => admitScript.run(redis, scriptKeys, args)))) as AdmitReply;
      } catch (err) {
        if (err instanceof RedisUnavailable) {
          if (err.mayHaveRun && held.length > 0) releaseOrphan(input.tenant.id, input.requestId);
          return admitLocally(input, nowMs, limits, held, counters, base);
        }
        throw err;
      }
      if (reply.s === "init") {
        if (round >= 2) throw new Error("budget windows stayed uninitialised after rebuilding them");
        const missing = asArray<number>(reply.i).map((i) => held[i]).filter((h): h is HeldBudget => h !== undefined);
        try {
          await Promise.all(missing.map((h) => rebuildWindow(input.tenant, h)));
        } catch (err) {
          // The spend source (Postgres) or Redis failed mid-rebuild: this window's spend is unknown.
          if (input.tenant.budgetFailMode === "closed") throw unavailable();
          reportBackground(err);
          return admitLocally(input, nowMs, limits, held, counters, base);
        }
        continue;
      }
      if (reply.s === "budget" || reply.s === "downgrade") {
        const h = held[reply.i as number];
        if (!h) throw new Error(`admission script named unknown budget index ${String(reply.i)}`);
        if (reply.ex === 1) alert("budget_exhausted", input.tenant.id, h, null);
        if (reply.s === "budget" || h.budget.downgradeRouteId === null) throw budgetExceeded(h);
        return {
          kind: "downgrade",
          budgetId: h.budget.id,
          budgetName: h.budget.name,
          downgradeRouteId: h.budget.downgradeRouteId,
        };
      }
      const states: LimitState[] = asArray<[number, number]>(reply.l).map(([remaining, resetMs], j) => ({
        kind: limits[j]?.kind ?? "rpm",
        limit: limits[j]?.limit ?? 0,
        remaining,
        resetMs,
      }));
      if (reply.s === "rate") {
        const limit = limits[reply.i as number];
        if (!limit) throw new Error(`admission script named unknown limit index ${String(reply.i)}`);
        throw rateLimited(limit, reply.r ?? RATE_WINDOW_MS, states);
      }
      asArray<[string, string]>(reply.b).forEach((state, i) => {
        const h = held[i];
        if (h && state) local.rememberBudget(h.hashKey, BigInt(state[0]) + BigInt(state[1]) + input.reserveMicros);
      });
      if (local.hasPending() && clock() >= replayNotBefore) void reconcile();
      return { ...base, mode: "redis", headers: rateLimitHeaders(states) };
    }
  }

  function admitLocally(
    input: AdmitInput,
    nowMs: number,
    limits: ApplicableLimit[],
    held: HeldBudget[],
    counters: { current: string; previous: string }[],
    base: Omit<AdmittedRequest, "mode" | "headers">,
  ): Admission {
    if (
      (held.length > 0 && input.tenant.budgetFailMode === "closed") ||
      (limits.length > 0 && input.tenant.rateLimitFailMode === "closed")
    ) {
      throw unavailable();
    }
    const states: BudgetState[] = held.map((h) => ({ budget: h.budget, spentMicros: local.budgetUsed(h.hashKey), reservedMicros: 0n }));
    const decision = decideBudgets({ states, reserveMicros: input.reserveMicros, routeId: input.subject.routeId });
    if (decision.kind === "block" || decision.kind === "downgrade") {
      const h = held.find((x) => x.budget.id === decision.budget.id);
      if (!h) throw new Error("budget decision named a budget that does not apply");
      if (decision.kind === "block") throw budgetExceeded(h);
      return { kind: "downgrade", budgetId: h.budget.id, budgetName: h.budget.name, downgradeRouteId: decision.downgradeRouteId };
    }
    const limitStates: LimitState[] = [];
    let refused: { limit: ApplicableLimit; retryAfterMs: number } | null = null;
    limits.forEach((limit, j) => {
      const counter = counters[j];
      if (!counter) return;
      const check = local.checkRate(counter, limit.limit, limit.kind === "rpm" ? 1 : input.estimatedTokens, nowMs);
      limitStates.push({ kind: limit.kind, limit: limit.limit, remaining: check.remaining, resetMs: check.resetMs });
      if (!check.allowed && (!refused || check.retryAfterMs > refused.retryAfterMs)) {
        refused = { limit, retryAfterMs: check.retryAfterMs };
      }
    });
    const refusal = refused as { limit: ApplicableLimit; retryAfterMs: number } | null;
    if (refusal) throw rateLimited(refusal.limit, refusal.retryAfterMs, limitStates);
    limits.forEach((limit, j) => {
      const counter = counters[j];
      if (counter) local.addRate(counter.current, limit.kind === "rpm" ? 1 : input.estimatedTokens, nowMs);
    });
    for (const h of held) local.reserveBudget(h.hashKey, input.reserveMicros);
    return { ...base, mode: "local", headers: rateLimitHeaders(limitStates) };
  }

  /**
   * An admission that timed out may still have reserved in Redis; this request will not settle there (it is
   * refused or counted locally), so release it now rather than let it hold budget room until it expires.
   * Sent on the same connection after the admission, so Redis runs it after the admission if it runs both.
   */
  function releaseOrphan(tenantId: string, requestId: string): void {
    const keys = tenantKeys(tenantId);
    settleScript
      .run(redis, [keys.reservations, keys.reservationRecords, keys.settled(requestId)], [requestId, "0", "0", "0", "0", String(SETTLED_MARKER_TTL_S)])
      .catch(reportBackground);
  }

  async function reserveMore(admission: AdmittedRequest, extraMicros: bigint, opts: { reservationTtlMs?: number } = {}): Promise<void> {
    if (extraMicros < 0n) throw new RangeError("extraMicros must not be negative");
    if (admission.mode === "none" || admission.budgets.length === 0 || extraMicros === 0n) return;
    const blocks = (b: BudgetRule) => b.action === "block" || (b.action === "downgrade" && b.downgradeRouteId === null);
    const reserveLocally = () => {
      for (const h of admission.budgets) {
        if (blocks(h.budget) && local.budgetUsed(h.hashKey) + extraMicros > h.budget.limitMicros) throw budgetExceeded(h);
      }
      for (const h of admission.budgets) local.reserveBudget(h.hashKey, extraMicros);
      admission.reserveMicros += extraMicros;
    };
    if (admission.mode === "local") return reserveLocally();
    const nowMs = clock();
    const ttl = opts.reservationTtlMs ?? options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    const keys = tenantKeys(admission.tenantId);
    const args = [admission.requestId, extraMicros.toString(), String(Math.max(admission.reservationExpiresAt, nowMs + ttl))];
    for (const h of admission.budgets) args.push(h.budget.limitMicros.toString(), blocks(h.budget) ? "b" : "-");
    let reply: { s: "ok" | "gone" | "budget"; i?: number };
    try {
      reply = JSON.parse(
        String(await call(() => reserveMoreScript.run(redis, [keys.reservations, keys.reservationRecords, ...admission.budgets.map((h) => h.hashKey)], args))),
      ) as typeof reply;
    } catch (err) {
      if (!(err instanceof RedisUnavailable)) throw err;
      if (admission.budgetFailMode === "closed") throw unavailable();
      // Fail-open: the extra attempt is checked against what this proxy knows; the Redis reservation stays as it was.
      for (const h of admission.budgets) {
        if (blocks(h.budget) && local.budgetUsed(h.hashKey) + extraMicros > h.budget.limitMicros) throw budgetExceeded(h);
      }
      return;
    }
    if (reply.s === "budget") {
      const h = admission.budgets[reply.i ?? -1];
      if (!h) throw new Error(`reservation script named unknown budget index ${String(reply.i)}`);
      throw budgetExceeded(h);
    }
    if (reply.s === "ok") {
      admission.reserveMicros += extraMicros;
      admission.reservationExpiresAt = Math.max(admission.reservationExpiresAt, nowMs + ttl);
    }
  }

  const settledLocally = new WeakSet<AdmittedRequest>();

  async function settle(admission: AdmittedRequest, actual: ActualUsage): Promise<SettleResult> {
    if (actual.costMicros < 0n) throw new RangeError("costMicros must not be negative");
    if (!Number.isSafeInteger(actual.totalTokens) || actual.totalTokens < 0) {
      throw new RangeError(`totalTokens must be a non-negative integer, got ${actual.totalTokens}`);
    }
    if (admission.mode === "none") return { outcome: "none", alerts: [] };
    const tokenDelta = actual.totalTokens - admission.estimatedTokens;
    const nowMs = clock();
    if (admission.mode === "local") {
      if (settledLocally.has(admission)) return { outcome: "duplicate", alerts: [] };
      settledLocally.add(admission);
      settleLocally(admission, admission.reserveMicros, actual, tokenDelta, nowMs);
      return { outcome: "local", alerts: [] };
    }
    const keys = tenantKeys(admission.tenantId);
    const scriptKeys = [
      keys.reservations,
      keys.reservationRecords,
      keys.settled(admission.requestId),
      ...admission.budgets.map((h) => h.hashKey),
      ...admission.tokenCounters,
    ];
    const args = [
      admission.requestId,
      actual.costMicros.toString(),
      String(tokenDelta),
      String(admission.budgets.length),
      String(admission.tokenCounters.length),
      String(SETTLED_MARKER_TTL_S),
    ];
    for (const h of admission.budgets) args.push(h.budget.limitMicros.toString(), String(h.budget.softThresholdPct));
    let reply: SettleReply;
    try {
      reply = JSON.parse(String(await call(() => settleScript.run(redis, scriptKeys, args)))) as SettleReply;
    } catch (err) {
      if (!(err instanceof RedisUnavailable)) throw err;
      // The call happened and cost money whatever Redis says: count it here and replay it later. The
      // reservation in Redis is released by its expiry.
      settleLocally(admission, 0n, actual, tokenDelta, nowMs);
      return { outcome: "local", alerts: [] };
    }
    if (reply.s === "dup") return { outcome: "duplicate", alerts: [] };
    const spent = asArray<string>(reply.spent);
    const alerts: BudgetAlert[] = [];
    for (const [kind, list] of [
      ["budget_soft_threshold", reply.soft],
      ["budget_exhausted", reply.ex],
    ] as const) {
      for (const i of asArray<number>(list)) {
        const h = admission.budgets[i];
        const s = spent[i];
        if (h) alerts.push(alert(kind, admission.tenantId, h, s ? BigInt(s) : null));
      }
    }
    return { outcome: "settled", alerts };
  }

  function settleLocally(admission: AdmittedRequest, reserved: bigint, actual: ActualUsage, tokenDelta: number, nowMs: number) {
    for (const h of admission.budgets) local.settleBudget(h.hashKey, reserved, actual.costMicros);
    // Only a correction upward is replayed: the estimate was counted where it was counted (Redis or here).
    if (tokenDelta > 0) for (const key of admission.tokenCounters) local.addRate(key, tokenDelta, nowMs);
  }

  async function reconcile(): Promise<void> {
    if (reconciling) return reconciling;
    reconciling = (async () => {
      const nowMs = clock();
      for (const [, group] of local.drain(nowMs)) {
        const scriptKeys = [...group.spend.map(([k]) => k), ...group.rate.map(([k]) => k)];
        const args = [String(group.spend.length), ...group.spend.map(([, v]) => v.toString())];
        for (const [, count, ttl] of group.rate) args.push(String(count), String(ttl));
        try {
          await call(() => reconcileScript.run(redis, scriptKeys, args));
        } catch (err) {
          local.restore(group, nowMs);
          replayNotBefore = clock() + 1000;
          reportBackground(err);
        }
      }
    })().finally(() => {
      reconciling = null;
    });
    return reconciling;
  }

  async function rebuildSpend(input: { tenant: EnforcementTenant; budgets: readonly BudgetRule[]; now?: Date }): Promise<number> {
    const now = input.now ?? new Date(clock());
    const keys = tenantKeys(input.tenant.id);
    let seeded = 0;
    for (const budget of input.budgets) {
      if (budget.scope === "model") continue;
      const window = budgetWindow(budget.period, now, input.tenant.timeZone);
      const hashKey = keys.budgetWindow(budget.id, window.key);
      const exists = await call(() => redis.hexists(hashKey, "init"));
      if (exists === 1) continue;
      await rebuildWindow(input.tenant, { budget, window, hashKey });
      seeded++;
    }
    return seeded;
  }

  return {
    admit,
    reserveMore,
    settle,
    rebuildSpend,
    reconcile,
    hasPendingReconciliation: () => local.hasPending() || reconciling !== null,
    close: () => {
      redis.off("ready", onReady);
    },
  };
}
