import { describe, expect, it } from "vitest";
import {
  MAX_RETRY_AFTER_MS,
  decideNext,
  describeAttempts,
  errorCodeFor,
  stopError,
  type AttemptOutcome,
  type DecideInput,
  type FailureKind,
} from "./risk.ts";
import type { PlannedTarget } from "./routing.ts";

const target = (tier: number, model: string, alternates: string[] = []): PlannedTarget => ({
  model,
  params: {},
  tier,
  alternates,
  deployments: [model, ...alternates].map((m) => ({ model: m, params: {} })),
});
const twoTargets = [target(0, "primary"), target(1, "fallback")];
const rng = () => 1; // jitter at its ceiling, so the backoff is its deterministic maximum
const NOW = 1_000_000;

function input(over: Partial<DecideInput>): DecideInput {
  return { risk: "low", retryLimit: 1, targets: twoTargets, history: [], now: NOW, deadline: NOW + 60_000, validatorPresent: false, ...over };
}
const failed = (targetIndex: number, model: string, failure: FailureKind, extra: Partial<AttemptOutcome> = {}): AttemptOutcome =>
  ({ result: "failure", targetIndex, model, failure, status: failure === "rate_limited" ? 429 : failure === "server_error" ? 503 : null, ...extra }) as AttemptOutcome;
const skipped = (targetIndex: number, model: string): AttemptOutcome => ({ result: "skipped", targetIndex, model, reason: "breaker_open" });

describe("every risk level", () => {
  it("starts with the primary target", () => {
    for (const risk of ["low", "medium", "high"] as const) {
      expect(decideNext(input({ risk }), rng)).toMatchObject({ action: "attempt", targetIndex: 0, model: "primary", delayMs: 0, mustValidate: false });
    }
  });

  it("never retries or falls back on a client error (4xx other than 408/429)", () => {
    for (const risk of ["low", "medium", "high"] as const) {
      const d = decideNext(input({ risk, history: [failed(0, "primary", "client_error", { status: 400 })] }), rng);
      expect(d).toMatchObject({ action: "stop", code: "invalid_request_error", httpStatus: 400, openReview: false });
    }
  });

  it("an upstream 401/403 is the gateway's credential problem: 502, not the client's", () => {
    const d = decideNext(input({ history: [failed(0, "primary", "client_error", { status: 401 })] }), rng);
    expect(d).toMatchObject({ action: "stop", code: "upstream_error", httpStatus: 502 });
  });

  it("a stream that failed after its first byte stops: no silent switch to another model", () => {
    for (const risk of ["low", "medium", "high"] as const) {
      const d = decideNext(input({ risk, history: [failed(0, "primary", "server_error", { midStream: true })] }), rng);
      expect(d).toMatchObject({ action: "stop", midStream: true, code: "upstream_error", openReview: risk === "high" });
    }
  });

  it("a stream that failed before its first byte is an ordinary failure", () => {
    const d = decideNext(input({ history: [failed(0, "primary", "timeout", { midStream: false })] }), rng);
    expect(d).toMatchObject({ action: "retry_same" });
  });

  it("stops with upstream_timeout once the route's total timeout has passed", () => {
    const d = decideNext(input({ now: NOW + 60_000, history: [failed(0, "primary", "server_error")] }), rng);
    expect(d).toMatchObject({ action: "stop", code: "upstream_timeout", httpStatus: 504 });
  });
});

describe("low risk: retry once on the same target, then the next target", () => {
  for (const kind of ["timeout", "rate_limited", "server_error", "connection_error", "invalid_output"] as const) {
    it(`on ${kind}: retries the same target first`, () => {
      const d = decideNext(input({ history: [failed(0, "primary", kind)] }), rng);
      expect(d).toMatchObject({ action: "retry_same", targetIndex: 0, model: "primary", mustValidate: false });
    });
  }

  it("then falls back to the next target, without waiting", () => {
    const history = [failed(0, "primary", "server_error"), failed(0, "primary", "server_error")];
    expect(decideNext(input({ history }), rng)).toMatchObject({ action: "fallback", targetIndex: 1, model: "fallback", delayMs: 0, mustValidate: false });
  });

  it("the fallback gets its own retry", () => {
    const history = [failed(0, "primary", "timeout"), failed(0, "primary", "timeout"), failed(1, "fallback", "server_error")];
    expect(decideNext(input({ history }), rng)).toMatchObject({ action: "retry_same", targetIndex: 1, model: "fallback" });
  });

  it("stops with the error when the last target's retries are spent", () => {
    const history = [failed(0, "primary", "server_error"), failed(0, "primary", "server_error"), failed(1, "fallback", "server_error"), failed(1, "fallback", "server_error")];
    expect(decideNext(input({ history }), rng)).toMatchObject({ action: "stop", code: "upstream_error", httpStatus: 502, openReview: false });
  });

  it("retries up to the route's retry limit; a limit of 0 falls back at once", () => {
    const twice = [failed(0, "primary", "timeout"), failed(0, "primary", "timeout")];
    expect(decideNext(input({ retryLimit: 2, history: twice }), rng)).toMatchObject({ action: "retry_same" });
    expect(decideNext(input({ retryLimit: 0, history: [failed(0, "primary", "timeout")] }), rng)).toMatchObject({ action: "fallback" });
  });

  it("backs off exponentially between retries on the same target", () => {
    const one = decideNext(input({ retryLimit: 3, history: [failed(0, "primary", "server_error")] }), rng);
    const two = decideNext(input({ retryLimit: 3, history: [failed(0, "primary", "server_error"), failed(0, "primary", "server_error")] }), rng);
    expect(one).toMatchObject({ delayMs: 200 });
    expect(two).toMatchObject({ delayMs: 400 });
  });

  it("jitters the backoff between half and all of the step", () => {
    const d = decideNext(input({ history: [failed(0, "primary", "server_error")] }), () => 0);
    expect(d).toMatchObject({ delayMs: 100 });
  });

  it("honours Retry-After when it is longer than the backoff", () => {
    const d = decideNext(input({ history: [failed(0, "primary", "rate_limited", { retryAfterMs: 3000 })] }), rng);
    expect(d).toMatchObject({ action: "retry_same", delayMs: 3000 });
  });

  it("does not wait for a Retry-After above the cap: falls back instead", () => {
    const d = decideNext(input({ history: [failed(0, "primary", "rate_limited", { retryAfterMs: MAX_RETRY_AFTER_MS + 1 })] }), rng);
    expect(d).toMatchObject({ action: "fallback", targetIndex: 1 });
  });

  it("does not wait past the route's total timeout: falls back instead", () => {
    const d = decideNext(input({ deadline: NOW + 2000, history: [failed(0, "primary", "rate_limited", { retryAfterMs: 2500 })] }), rng);
    expect(d).toMatchObject({ action: "fallback", delayMs: 0 });
  });

  it("retries a balanced tier on another deployment of it, without waiting", () => {
    const targets = [target(0, "east", ["west"]), target(1, "fallback")];
    const d = decideNext(input({ targets, history: [failed(0, "east", "rate_limited", { retryAfterMs: 5000 })] }), rng);
    expect(d).toMatchObject({ action: "retry_same", targetIndex: 0, model: "west", delayMs: 0 });
  });
});

describe("medium risk: fall back only where the fallback's output passes the validator", () => {
  it("retries the same target like low risk (same model, no validation needed)", () => {
    const d = decideNext(input({ risk: "medium", validatorPresent: true, history: [failed(0, "primary", "timeout")] }), rng);
    expect(d).toMatchObject({ action: "retry_same", mustValidate: false });
  });

  it("falls back with the fallback's output marked must-validate", () => {
    const history = [failed(0, "primary", "timeout"), failed(0, "primary", "timeout")];
    const d = decideNext(input({ risk: "medium", validatorPresent: true, history }), rng);
    expect(d).toMatchObject({ action: "fallback", targetIndex: 1, mustValidate: true });
  });

  it("a fallback whose output fails the validator: tries the next fallback, still must-validate", () => {
    const targets = [target(0, "primary"), target(1, "second"), target(2, "third")];
    const history = [failed(0, "primary", "timeout"), failed(0, "primary", "timeout"), failed(1, "second", "invalid_output"), failed(1, "second", "invalid_output")];
    const d = decideNext(input({ risk: "medium", validatorPresent: true, targets, retryLimit: 1, history }), rng);
    expect(d).toMatchObject({ action: "fallback", targetIndex: 2, mustValidate: true });
  });

  it("when no fallback is left after a failed validation: 422 output_validation_failed", () => {
    const history = [failed(0, "primary", "server_error"), failed(1, "fallback", "invalid_output")];
    const d = decideNext(input({ risk: "medium", validatorPresent: true, retryLimit: 0, history }), rng);
    expect(d).toMatchObject({ action: "stop", code: "output_validation_failed", httpStatus: 422, openReview: false });
  });

  it("without a validator nothing can vouch for a fallback: stops instead of falling back", () => {
    const history = [failed(0, "primary", "server_error"), failed(0, "primary", "server_error")];
    expect(decideNext(input({ risk: "medium", validatorPresent: false, history }), rng)).toMatchObject({ action: "stop", code: "upstream_error" });
  });
});

describe("high risk: no fallback — stop, return the error, open a review item", () => {
  for (const kind of ["timeout", "rate_limited", "server_error", "connection_error", "invalid_output"] as const) {
    it(`on ${kind}: stops at once and asks for a review`, () => {
      const d = decideNext(input({ risk: "high", validatorPresent: true, history: [failed(0, "primary", kind)] }), rng);
      expect(d).toMatchObject({ action: "stop", openReview: true });
    });
  }

  it("returns the matching error: 504 for a timeout, 422 for invalid output, 502 otherwise", () => {
    const code = (kind: FailureKind) => (decideNext(input({ risk: "high", history: [failed(0, "primary", kind)] }), rng) as { code: string }).code;
    expect([code("timeout"), code("invalid_output"), code("server_error")]).toEqual(["upstream_timeout", "output_validation_failed", "upstream_error"]);
  });

  it("a breaker-skipped primary is not replaced by a fallback: 503 no_healthy_target and a review", () => {
    const d = decideNext(input({ risk: "high", history: [skipped(0, "primary")] }), rng);
    expect(d).toMatchObject({ action: "stop", code: "no_healthy_target", httpStatus: 503, openReview: true });
  });

  it("may still use another deployment of the same model when the picked one's breaker is open", () => {
    const targets = [target(0, "east", ["west"]), target(1, "fallback")];
    expect(decideNext(input({ risk: "high", targets, history: [skipped(0, "east")] }), rng)).toMatchObject({ action: "attempt", model: "west" });
  });
});

describe("circuit breaker skips", () => {
  it("a skipped target moves on to the next one without waiting", () => {
    expect(decideNext(input({ history: [skipped(0, "primary")] }), rng)).toMatchObject({ action: "fallback", targetIndex: 1, delayMs: 0 });
  });

  it("a target whose model or provider is unusable is skipped the same way, and the attempt list says so", () => {
    const history: AttemptOutcome[] = [{ result: "skipped", targetIndex: 0, model: "primary", reason: "unavailable" }];
    expect(decideNext(input({ history }), rng)).toMatchObject({ action: "fallback", targetIndex: 1 });
    expect(describeAttempts(history)).toBe("primary: skipped: target unavailable");
  });

  it("when every target is skipped: 503 no_healthy_target", () => {
    const d = decideNext(input({ history: [skipped(0, "primary"), skipped(1, "fallback")] }), rng);
    expect(d).toMatchObject({ action: "stop", code: "no_healthy_target", httpStatus: 503 });
  });
});

describe("errorCodeFor", () => {
  it("504 when every real attempt timed out, 502 when any other failure is among them, 503 when none ran", () => {
    expect(errorCodeFor([failed(0, "a", "timeout"), skipped(1, "b"), failed(2, "c", "timeout")])).toBe("upstream_timeout");
    expect(errorCodeFor([failed(0, "a", "timeout"), failed(1, "b", "server_error")])).toBe("upstream_error");
    expect(errorCodeFor([skipped(0, "a"), skipped(1, "b")])).toBe("no_healthy_target");
  });
});

describe("stopError", () => {
  it("lists every attempt (target, status, error) in the message and the body, and the review item", () => {
    const history = [failed(0, "gpt-4o", "server_error", { message: "upstream returned 503" }), skipped(1, "claude")];
    const err = stopError({ action: "stop", code: "upstream_error", httpStatus: 502, openReview: true, midStream: false }, history, { reviewItemId: "rev_1" });
    expect(err.httpStatus).toBe(502);
    expect(err.message).toContain("gpt-4o: 503 server_error: upstream returned 503");
    expect(err.message).toContain("claude: skipped: circuit breaker open");
    expect(err.extra).toEqual({
      attempts: [
        { target: "gpt-4o", status: 503, error: "server_error: upstream returned 503" },
        { target: "claude", status: null, error: "skipped: circuit breaker open" },
      ],
      review_item_id: "rev_1",
    });
  });
});
