// The circuit breaker of one target as a pure state machine: N failures within a window open it for a
// cool-down; then it is half-open and lets exactly one probe through; the probe's success closes it, its
// failure re-opens it. The proxy runs the same rules as a Redis script so every proxy shares one state;
// this module is the readable statement of those rules and what the tests hold the script to.

export interface BreakerConfig {
  /** Failures within `windowMs` that open the breaker. */
  failureThreshold: number;
  windowMs: number;
  /** How long an open breaker refuses calls before a probe may go through. */
  coolDownMs: number;
  /** A probe that never reports (its proxy died) frees the half-open slot after this long. */
  probeLeaseMs: number;
}

export const DEFAULT_BREAKER_CONFIG: BreakerConfig = {
  failureThreshold: 5,
  windowMs: 30_000,
  coolDownMs: 30_000,
  probeLeaseMs: 30_000,
};

export interface BreakerState {
  /** Failures counted in the current window (closed state only). */
  failures: number;
  windowStart: number;
  /** 0 while closed; when the cool-down ends once tripped. */
  openUntil: number;
  /** Half-open: until when the current probe holds the slot (0 = slot free). */
  probeUntil: number;
}

export type BreakerStatus = "closed" | "open" | "half_open";

export const CLOSED: BreakerState = { failures: 0, windowStart: 0, openUntil: 0, probeUntil: 0 };

export function breakerStatus(s: BreakerState, now: number): BreakerStatus {
  if (s.openUntil === 0) return "closed";
  return now < s.openUntil ? "open" : "half_open";
}

export interface AcquireResult {
  state: BreakerState;
  allowed: boolean;
  /** This call is the half-open probe: its outcome decides the breaker. */
  probe: boolean;
}

/** May a call go to this target now? */
export function breakerAcquire(s: BreakerState, now: number, cfg: BreakerConfig): AcquireResult {
  const status = breakerStatus(s, now);
  if (status === "closed") return { state: s, allowed: true, probe: false };
  if (status === "open") return { state: s, allowed: false, probe: false };
  if (now < s.probeUntil) return { state: s, allowed: false, probe: false };
  return { state: { ...s, probeUntil: now + cfg.probeLeaseMs }, allowed: true, probe: true };
}

export function breakerFailure(s: BreakerState, now: number, cfg: BreakerConfig): BreakerState {
  const status = breakerStatus(s, now);
  // A straggler that started before the breaker opened says nothing new about the target.
  if (status === "open") return s;
  if (status === "half_open") return { failures: 0, windowStart: 0, openUntil: now + cfg.coolDownMs, probeUntil: 0 };
  const fresh = now - s.windowStart >= cfg.windowMs;
  const failures = fresh ? 1 : s.failures + 1;
  const windowStart = fresh ? now : s.windowStart;
  if (failures >= cfg.failureThreshold) return { failures: 0, windowStart: 0, openUntil: now + cfg.coolDownMs, probeUntil: 0 };
  return { failures, windowStart, openUntil: 0, probeUntil: 0 };
}

export function breakerSuccess(s: BreakerState, now: number): BreakerState {
  // Closed: failures age out with their window, successes do not erase them. Open: a straggler's success
  // does not prove the target healed; only the probe (half-open) does.
  return breakerStatus(s, now) === "half_open" ? CLOSED : s;
}
