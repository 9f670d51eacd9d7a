// What the gateway does after an attempt fails, by the route's risk level:
//   low    — retry on the same target (up to the route's retry limit, honouring Retry-After), then the next target;
//   medium — the same retries, but a fallback target may serve only if its output passes the route's validator;
//   high   — no retry, no fallback: stop, return the error and open a review item for a person.
// Client errors never retry; a stream that already sent its first byte never switches model.
// Pure: the executor passes the attempt history, `now`, the deadline and `rng` (for backoff jitter).
import { GatewayError, type GatewayErrorCode } from "./errors.ts";
import type { RiskLevel, TargetParams } from "./route-spec.ts";
import type { PlannedTarget, Rng } from "./routing.ts";

/** How an upstream attempt failed. Provider adapters classify every error into one of these. */
export const FAILURE_KINDS = [
  "timeout",
  "rate_limited",
  "server_error",
  "connection_error",
  "invalid_output",
  "client_error",
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Failures that a retry or a fallback may cure. `client_error` (4xx other than 408/429) is the client's. */
export const RETRYABLE_FAILURES: ReadonlySet<FailureKind> = new Set([
  "timeout",
  "rate_limited",
  "server_error",
  "connection_error",
  "invalid_output",
]);

/** Retry-After above this is not waited for: the executor falls back instead. */
export const MAX_RETRY_AFTER_MS = 10_000;
/** First backoff step; doubles per retry on the same tier, with jitter in [50%, 100%]. */
export const BACKOFF_BASE_MS = 200;

export type AttemptOutcome =
  | {
      result: "failure";
      targetIndex: number;
      model: string;
      failure: FailureKind;
      /** Upstream HTTP status, null when there was none (timeout, connection error). */
      status: number | null;
      retryAfterMs?: number | null;
      /** A stream failed after its first byte reached the client. */
      midStream?: boolean;
      /** Short, secret-free description for the client's error message and the log. */
      message?: string | null;
    }
  | {
      result: "skipped";
      targetIndex: number;
      model: string;
      /** breaker_open: the target's circuit breaker refused it; unavailable: its model or provider is not usable. */
      reason: "breaker_open" | "unavailable";
    };

export interface DecideInput {
  risk: RiskLevel;
  retryLimit: number;
  targets: PlannedTarget[];
  history: AttemptOutcome[];
  /** Epoch ms now, and the request's deadline (start + route total timeout). */
  now: number;
  deadline: number;
  /** Whether the route has an output validator. */
  validatorPresent: boolean;
}

export interface AttemptStep {
  /** "attempt": the first try of a tier (or a deployment of it after a breaker skip). */
  action: "attempt" | "retry_same" | "fallback";
  targetIndex: number;
  model: string;
  params: TargetParams;
  /** Wait this long before the call (Retry-After / backoff); 0 for first attempts and fallbacks. */
  delayMs: number;
  /**
   * The output must pass the route's validator before any of it reaches the client (buffer a stream):
   * set on medium-risk fallbacks. A failed check is recorded as an `invalid_output` failure.
   */
  mustValidate: boolean;
}

export interface StopDecision {
  action: "stop";
  code: GatewayErrorCode;
  httpStatus: number;
  /** High risk: a person must look at this request; the executor opens a review item. */
  openReview: boolean;
  /** The failure came after the stream's first byte: end the stream with an error event. */
  midStream: boolean;
}

export type NextDecision = AttemptStep | StopDecision;

const STATUS: Partial<Record<GatewayErrorCode, number>> = {
  upstream_error: 502,
  no_healthy_target: 503,
  upstream_timeout: 504,
  output_validation_failed: 422,
  invalid_request_error: 400,
};

function stop(code: GatewayErrorCode, opts: { openReview?: boolean; midStream?: boolean; httpStatus?: number } = {}): StopDecision {
  return {
    action: "stop",
    code,
    httpStatus: opts.httpStatus ?? STATUS[code] ?? 502,
    openReview: opts.openReview ?? false,
    midStream: opts.midStream ?? false,
  };
}

/**
 * The error for a request whose every allowed attempt failed: 422 when the last real attempt's output failed
 * the validator, 504 when every real attempt timed out, 503 when no target was even tried (all breakers
 * open), else 502.
 */
export function errorCodeFor(history: AttemptOutcome[]): GatewayErrorCode {
  const failures = history.filter((h) => h.result === "failure");
  if (failures.length === 0) return "no_healthy_target";
  if (failures.at(-1)!.failure === "invalid_output") return "output_validation_failed";
  if (failures.every((f) => f.failure === "timeout")) return "upstream_timeout";
  return "upstream_error";
}

/** A client error from upstream: the client's request is at fault, except when the gateway's own provider
 * credentials were refused (401/403), which is the gateway's problem and must not look like a bad API key. */
function clientErrorStop(status: number | null): StopDecision {
  if (status === 401 || status === 403) return stop("upstream_error");
  const httpStatus = status !== null && status >= 400 && status < 500 ? status : 400;
  return stop("invalid_request_error", { httpStatus });
}

/** Models of a tier already tried or skipped. */
function usedModels(history: AttemptOutcome[], tier: number): Set<string> {
  return new Set(history.filter((h) => h.targetIndex === tier).map((h) => h.model));
}

function untriedDeployment(target: PlannedTarget, history: AttemptOutcome[]): { model: string; params: TargetParams } | null {
  const used = usedModels(history, target.tier);
  return target.deployments.find((d) => !used.has(d.model)) ?? null;
}

function paramsOf(target: PlannedTarget, model: string): TargetParams {
  return target.deployments.find((d) => d.model === model)?.params ?? target.params;
}

/** Jittered exponential backoff for the n-th retry (0-based) on a tier. */
export function backoffMs(retryNumber: number, rng: Rng): number {
  const ceiling = Math.min(BACKOFF_BASE_MS * 2 ** retryNumber, MAX_RETRY_AFTER_MS);
  return Math.round(ceiling * (0.5 + rng() * 0.5));
}

/** The next step after the attempts in `history` (the first step when it is empty). */
export function decideNext(input: DecideInput, rng: Rng): NextDecision {
  const { risk, targets, history, now, deadline } = input;
  const first = targets[0];
  if (!first) return stop("no_healthy_target", { openReview: risk === "high" });
  const last = history.at(-1);
  if (!last) return { action: "attempt", targetIndex: 0, model: first.model, params: first.params, delayMs: 0, mustValidate: false };

  if (last.result === "failure") {
    if (last.midStream) {
      return stop(last.failure === "timeout" ? "upstream_timeout" : "upstream_error", { midStream: true, openReview: risk === "high" });
    }
    if (!RETRYABLE_FAILURES.has(last.failure)) return clientErrorStop(last.status);
  }
  if (now >= deadline) return stop("upstream_timeout", { openReview: risk === "high" });

  const tier = targets[last.targetIndex];
  if (!tier) throw new Error(`attempt history names tier ${last.targetIndex}, the plan has ${targets.length}`);
  // Medium: every attempt past the primary tier is a fallback whose output must pass the validator.
  const mustValidateTier = (index: number) => risk === "medium" && index > 0;

  if (last.result === "skipped") {
    // A breaker skip is not a failed call: another deployment of the same tier may still serve.
    const other = untriedDeployment(tier, history);
    if (other) {
      return { action: "attempt", targetIndex: tier.tier, model: other.model, params: other.params, delayMs: 0, mustValidate: mustValidateTier(tier.tier) };
    }
  } else {
    if (risk === "high") return stop(errorCodeFor(history), { openReview: true });
    const retry = sameTierRetry(input, tier, last, rng);
    if (retry) return { ...retry, mustValidate: mustValidateTier(tier.tier) };
  }
  return fallback(input, tier.tier);
}

function sameTierRetry(
  input: DecideInput,
  tier: PlannedTarget,
  last: Extract<AttemptOutcome, { result: "failure" }>,
  rng: Rng,
): Omit<AttemptStep, "mustValidate"> | null {
  const tierFailures = input.history.filter((h) => h.targetIndex === tier.tier && h.result === "failure").length;
  const retriesUsed = tierFailures - 1;
  if (retriesUsed >= input.retryLimit) return null;
  // Another deployment of the same model is the better retry: it does not share the failed one's trouble.
  const other = untriedDeployment(tier, input.history);
  if (other) return { action: "retry_same", targetIndex: tier.tier, model: other.model, params: other.params, delayMs: 0 };
  const retryAfter = last.retryAfterMs ?? 0;
  if (retryAfter > MAX_RETRY_AFTER_MS) return null;
  const delayMs = Math.max(backoffMs(retriesUsed, rng), retryAfter);
  if (input.now + delayMs >= input.deadline) return null;
  return { action: "retry_same", targetIndex: tier.tier, model: last.model, params: paramsOf(tier, last.model), delayMs };
}

function fallback(input: DecideInput, fromTier: number): NextDecision {
  const { risk, targets, history } = input;
  const next = targets[fromTier + 1];
  const openReview = risk === "high";
  if (!next) return stop(errorCodeFor(history), { openReview });
  if (risk === "high") {
    // High risk never falls back; reaching here means every deployment of the primary tier was skipped.
    return stop(errorCodeFor(history), { openReview });
  }
  if (risk === "medium" && !input.validatorPresent) {
    // Nothing can vouch for another model's output, so medium risk without a validator stops here.
    return stop(errorCodeFor(history));
  }
  return { action: "fallback", targetIndex: next.tier, model: next.model, params: next.params, delayMs: 0, mustValidate: risk === "medium" };
}

/** One attempt as the client's error body lists it: no secrets, no upstream bodies. */
export interface AttemptSummary {
  target: string;
  status: number | null;
  error: string;
}

export function summarizeAttempts(history: AttemptOutcome[]): AttemptSummary[] {
  return history.map((h) =>
    h.result === "skipped"
      ? { target: h.model, status: null, error: h.reason === "unavailable" ? "skipped: target unavailable" : "skipped: circuit breaker open" }
      : { target: h.model, status: h.status, error: h.message ? `${h.failure}: ${h.message}` : h.failure },
  );
}

/** "gpt-4o: 503 server_error; claude-sonnet: timeout" */
export function describeAttempts(history: AttemptOutcome[]): string {
  return summarizeAttempts(history)
    .map((a) => `${a.target}: ${a.status === null ? "" : `${a.status} `}${a.error}`)
    .join("; ");
}

const STOP_LEAD: Partial<Record<GatewayErrorCode, string>> = {
  upstream_error: "The upstream provider failed",
  upstream_timeout: "The upstream provider timed out",
  no_healthy_target: "No healthy target is available for this route (every target was skipped: circuit breaker open or target unavailable)",
  output_validation_failed: "The model output failed the route's output validator",
  invalid_request_error: "The upstream provider rejected the request",
};

/**
 * The client-facing error for a stop: the message lists the attempts (target, status, error), the body
 * carries them as `attempts`, and high-risk stops carry the review item's id.
 */
export function stopError(decision: StopDecision, history: AttemptOutcome[], opts: { reviewItemId?: string | null } = {}): GatewayError {
  const lead = STOP_LEAD[decision.code] ?? "The request failed";
  const attempts = summarizeAttempts(history);
  const tail = attempts.length ? ` after ${attempts.length} attempt${attempts.length === 1 ? "" : "s"}: ${describeAttempts(history)}` : "";
  const review = opts.reviewItemId ? ` A review item was opened: ${opts.reviewItemId}.` : "";
  const extra: Record<string, unknown> = { attempts };
  if (opts.reviewItemId) extra.review_item_id = opts.reviewItemId;
  return new GatewayError(decision.code, `${lead}${tail}.${review}`, { httpStatus: decision.httpStatus, extra });
}
