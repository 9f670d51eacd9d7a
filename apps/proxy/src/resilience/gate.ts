// Adapts the shared circuit breakers to the pipeline's synchronous BreakerGate (src/pipeline/attempts.ts),
// whose target keys are `<tenantId>:<provider>/<model>`.
import type { FailureKind } from "@gateway/policy/risk";
import type { BreakerGate } from "../pipeline/attempts.ts";
import type { CircuitBreakers } from "./breaker.ts";

function split(targetKey: string): [tenantId: string, target: string] {
  const i = targetKey.indexOf(":");
  if (i <= 0) throw new Error(`breaker target key must be <tenantId>:<target>, got ${JSON.stringify(targetKey)}`);
  return [targetKey.slice(0, i), targetKey.slice(i + 1)];
}

/** Failures that say the target is unhealthy. A client error or an output the validator refused does not. */
const COUNTED: ReadonlySet<FailureKind> = new Set(["timeout", "rate_limited", "server_error", "connection_error"]);

export function breakerGate(breakers: CircuitBreakers): BreakerGate {
  return {
    allow: (targetKey) => breakers.allowNow(...split(targetKey)),
    onSuccess: (targetKey) => breakers.reportSuccess(...split(targetKey)),
    onFailure: (targetKey, failure) => {
      if (COUNTED.has(failure)) breakers.reportFailure(...split(targetKey));
    },
  };
}
