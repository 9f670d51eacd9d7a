// The attempt loop: asks the risk policy (@gateway/policy/risk) what to do next, skips targets whose
// circuit breaker is open, waits out Retry-After / backoff, runs one upstream call per step, and records
// every attempt. The call itself (chat JSON, chat stream up to its first chunk, embeddings) is a parameter.
import { setTimeout as sleep } from "node:timers/promises";
import { decideNext, type AttemptOutcome, type FailureKind, type StopDecision } from "@gateway/policy/risk";
import type { PlannedTarget, Rng } from "@gateway/policy/routing";
import type { RiskLevel, TargetParams } from "@gateway/policy/route-spec";
import type { ModelConfig, TenantConfig } from "../config/snapshot.ts";
import type { AttemptRecord, RequestRecord } from "./record.ts";

/** What a failed upstream call tells the loop. Provider errors are classified into this shape. */
export interface AttemptFailure {
  failure: FailureKind;
  status: number | null;
  retryAfterMs: number | null;
  message: string;
  /** Partial spend of the failed attempt (tokens already billed), if known. */
  costMicros?: bigint;
}

/** Circuit breakers as the loop needs them: a synchronous check and fire-and-forget reports. Keys are
 * `<tenantId>:<provider>/<model>` (see targetKey); src/resilience/gate.ts adapts the shared breakers. */
export interface BreakerGate {
  /** May this target be called now (closed, or half-open with this proxy holding the probe)? */
  allow(targetKey: string, now: number): boolean;
  onSuccess(targetKey: string, now: number): void;
  onFailure(targetKey: string, failure: FailureKind, now: number): void;
}

export interface AttemptContext {
  model: ModelConfig;
  params: TargetParams;
  signal: AbortSignal;
  /** The output must pass the validator before any of it reaches the client. */
  mustValidate: boolean;
  attemptNumber: number;
}

export type AttemptResult<T> = { ok: true; value: T; costMicros: bigint; validator?: "pass" | "fail" } | { ok: false; failure: AttemptFailure };

export interface LoopInput<T> {
  risk: RiskLevel;
  retryLimit: number;
  targets: PlannedTarget[];
  validatorPresent: boolean;
  tenant: TenantConfig;
  deadline: number;
  record: RequestRecord;
  breakers: BreakerGate;
  rng: Rng;
  /** Aborted when the client goes away or the total timeout passes. */
  signal: AbortSignal;
  call: (ctx: AttemptContext) => Promise<AttemptResult<T>>;
  onAttempt?: (a: AttemptRecord, failure: AttemptFailure | null) => void;
  /** Runs before every attempt after the first (budgets grow their reservation here); may throw to stop. */
  beforeRetry?: () => Promise<void>;
}

export type LoopResult<T> =
  | { ok: true; value: T; model: ModelConfig; targetIndex: number; history: AttemptOutcome[] }
  | { ok: false; decision: StopDecision; history: AttemptOutcome[]; misconfigured: string[] };

/** A target as logs name it: provider account and model. */
export function targetName(model: ModelConfig): string {
  return `${model.provider.name}/${model.name}`;
}

export function targetKey(tenantId: string, model: ModelConfig): string {
  return `${tenantId}:${targetName(model)}`;
}

/** The client's own abort, logged as 499: the target did nothing wrong, so no breaker hears of it. */
function clientGone(): AttemptFailure {
  return { failure: "connection_error", status: 499, retryAfterMs: null, message: "client closed the connection" };
}

function totalTimeout(f: AttemptFailure): AttemptFailure {
  // The deadline's abort surfaces as a cut connection; anything the target itself answered stands.
  return f.failure === "connection_error" ? { ...f, failure: "timeout", message: `the total timeout passed (${f.message})` } : f;
}

export async function runAttempts<T>(input: LoopInput<T>): Promise<LoopResult<T>> {
  const history: AttemptOutcome[] = [];
  // Targets skipped for a configuration fault rather than an open breaker, for the client's error message.
  const misconfigured: string[] = [];
  const { record, tenant } = input;
  for (;;) {
    const now = Date.now();
    const step = decideNext(
      {
        risk: input.risk,
        retryLimit: input.retryLimit,
        targets: input.targets,
        history,
        now,
        deadline: input.deadline,
        validatorPresent: input.validatorPresent,
      },
      input.rng,
    );
    if (step.action === "stop") return { ok: false, decision: step, history, misconfigured };

    const model = tenant.models.get(step.model);
    if (!model || !model.provider.usable) {
      // A target naming a missing model or an unusable provider is a configuration fault: treat like an
      // open breaker so the policy moves on, and say why in the error.
      misconfigured.push(
        model
          ? `${step.model}: provider ${model.provider.name} is not usable (see /readyz)`
          : `${step.model}: no such model in this tenant`,
      );
      history.push({ result: "skipped", targetIndex: step.targetIndex, model: step.model, reason: "breaker_open" });
      continue;
    }
    const target = targetName(model);
    const breakerKey = targetKey(tenant.id, model);
    if (!input.breakers.allow(breakerKey, now)) {
      history.push({ result: "skipped", targetIndex: step.targetIndex, model: step.model, reason: "breaker_open" });
      continue;
    }
    if (step.delayMs > 0) {
      try {
        await sleep(step.delayMs, undefined, { signal: input.signal });
      } catch {
        return stopForAbort(input, history, misconfigured);
      }
    }
    if (input.signal.aborted) return stopForAbort(input, history, misconfigured);
    if (record.attempts.length > 0 && input.beforeRetry) await input.beforeRetry();

    const attemptController = new AbortController();
    const onAbort = () => attemptController.abort(input.signal.reason);
    input.signal.addEventListener("abort", onAbort, { once: true });
    const started = Date.now();
    let result: AttemptResult<T>;
    try {
      result = await input.call({
        model,
        params: step.params,
        signal: attemptController.signal,
        mustValidate: step.mustValidate,
        attemptNumber: record.attempts.length + 1,
      });
    } finally {
      input.signal.removeEventListener("abort", onAbort);
    }
    const latencyMs = Date.now() - started;
    if (step.action === "retry_same") record.retryCount++;

    if (result.ok) {
      input.breakers.onSuccess(breakerKey, Date.now());
      const a: AttemptRecord = {
        target,
        model: model.name,
        provider: model.provider.name,
        status: 200,
        errorCode: null,
        failure: null,
        latencyMs,
        costMicros: result.costMicros.toString(),
        ...(result.validator ? { validator: result.validator } : {}),
      };
      record.attempts.push(a);
      input.onAttempt?.(a, null);
      return { ok: true, value: result.value, model, targetIndex: step.targetIndex, history };
    }

    // Aborted before the total deadline means the client left: whatever the call reported (a cut connection,
    // an abort) is the client's doing and must not open the target's breaker.
    const clientLeft = input.signal.aborted && Date.now() < input.deadline;
    const f = clientLeft ? clientGone() : input.signal.aborted ? totalTimeout(result.failure) : result.failure;
    if (!clientLeft && f.failure !== "client_error" && f.failure !== "invalid_output") input.breakers.onFailure(breakerKey, f.failure, Date.now());
    const a: AttemptRecord = {
      target,
      model: model.name,
      provider: model.provider.name,
      status: f.status,
      errorCode: f.failure,
      failure: f.failure,
      message: f.message,
      latencyMs,
      costMicros: (f.costMicros ?? 0n).toString(),
      ...(f.retryAfterMs !== null ? { retryAfterMs: f.retryAfterMs } : {}),
      ...(f.failure === "invalid_output" ? { validator: "fail" as const } : {}),
    };
    record.attempts.push(a);
    record.costMicros += f.costMicros ?? 0n;
    input.onAttempt?.(a, f);
    history.push({
      result: "failure",
      targetIndex: step.targetIndex,
      model: model.name,
      failure: f.failure,
      status: f.status,
      retryAfterMs: f.retryAfterMs,
      message: f.message,
    });
    if (input.signal.aborted) return stopForAbort(input, history, misconfigured);
  }
}

function stopForAbort<T>(input: LoopInput<T>, history: AttemptOutcome[], misconfigured: string[]): LoopResult<T> {
  // Total timeout → 504; a departed client gets nothing, but the log still says what happened.
  const timedOut = Date.now() >= input.deadline;
  return {
    ok: false,
    decision: {
      action: "stop",
      code: timedOut ? "upstream_timeout" : "upstream_error",
      httpStatus: timedOut ? 504 : 499,
      openReview: false,
      midStream: false,
    },
    history,
    misconfigured,
  };
}
