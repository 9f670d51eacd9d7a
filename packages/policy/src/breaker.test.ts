import { describe, expect, it } from "vitest";
import { CLOSED, breakerAcquire, breakerFailure, breakerStatus, breakerSuccess, type BreakerConfig, type BreakerState } from "./breaker.ts";

const cfg: BreakerConfig = { failureThreshold: 3, windowMs: 1000, coolDownMs: 5000, probeLeaseMs: 2000 };
const fail = (s: BreakerState, ...times: number[]) => times.reduce((acc, t) => breakerFailure(acc, t, cfg), s);

describe("circuit breaker", () => {
  it("starts closed and lets calls through", () => {
    expect(breakerAcquire(CLOSED, 0, cfg)).toMatchObject({ allowed: true, probe: false });
  });

  it("opens after N failures within the window", () => {
    const s = fail(CLOSED, 100, 200, 300);
    expect(breakerStatus(s, 300)).toBe("open");
    expect(breakerAcquire(s, 301, cfg).allowed).toBe(false);
  });

  it("failures spread wider than the window do not open it", () => {
    const s = fail(CLOSED, 0, 600, 1200, 1800);
    expect(breakerStatus(s, 1800)).toBe("closed");
  });

  it("successes in the closed state do not erase recent failures", () => {
    const s = breakerSuccess(fail(CLOSED, 0, 100), 150);
    expect(breakerStatus(fail(s, 200), 200)).toBe("open");
  });

  it("after the cool-down it is half-open and lets exactly one probe through", () => {
    const open = fail(CLOSED, 0, 1, 2); // opened at t=2, cool-down 5000
    expect(breakerStatus(open, 5001)).toBe("open");
    expect(breakerStatus(open, 5002)).toBe("half_open");
    const first = breakerAcquire(open, 5002, cfg);
    expect(first).toMatchObject({ allowed: true, probe: true });
    expect(breakerAcquire(first.state, 5003, cfg)).toMatchObject({ allowed: false, probe: false });
  });

  it("the probe's success closes it", () => {
    const probing = breakerAcquire(fail(CLOSED, 0, 1, 2), 6000, cfg).state;
    const closed = breakerSuccess(probing, 6100);
    expect(breakerStatus(closed, 6100)).toBe("closed");
    expect(breakerAcquire(closed, 6101, cfg).allowed).toBe(true);
  });

  it("the probe's failure re-opens it for another cool-down", () => {
    const probing = breakerAcquire(fail(CLOSED, 0, 1, 2), 6000, cfg).state;
    const reopened = breakerFailure(probing, 6100, cfg);
    expect(breakerStatus(reopened, 6100 + 4999)).toBe("open");
    expect(breakerStatus(reopened, 6100 + 5000)).toBe("half_open");
  });

  it("a probe that never reports frees the slot after its lease", () => {
    const probing = breakerAcquire(fail(CLOSED, 0, 1, 2), 6000, cfg).state;
    expect(breakerAcquire(probing, 7999, cfg).allowed).toBe(false);
    expect(breakerAcquire(probing, 8000, cfg)).toMatchObject({ allowed: true, probe: true });
  });

  it("while open, late results of calls started before it opened change nothing", () => {
    const open = fail(CLOSED, 0, 1, 2);
    expect(breakerFailure(open, 100, cfg)).toEqual(open);
    expect(breakerSuccess(open, 100)).toEqual(open);
  });
});
