// A client that hangs up mid-request is the client's doing: the attempt is logged as its abort (499) and the
// target's circuit breaker never hears of it, while a real upstream failure still counts.
import { describe, expect, it } from "vitest";
import type { FailureKind } from "@gateway/policy/risk";
import type { ModelConfig, TenantConfig } from "../../src/config/snapshot.ts";
import { runAttempts, type AttemptResult, type BreakerGate } from "../../src/pipeline/attempts.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";

const model = { name: "m1", provider: { name: "p1", usable: true } } as unknown as ModelConfig;
const tenant = { id: "t1", models: new Map([["m1", model]]) } as unknown as TenantConfig;

function setup() {
  const failures: Array<{ key: string; failure: FailureKind }> = [];
  const breakers: BreakerGate = { allow: () => true, onSuccess: () => {}, onFailure: (key, failure) => failures.push({ key, failure }) };
  const record = { attempts: [], retryCount: 0, costMicros: 0n } as unknown as RequestRecord;
  return { failures, breakers, record };
}

const cut = (signal: AbortSignal): Promise<AttemptResult<string>> =>
  new Promise((resolve) =>
    signal.addEventListener("abort", () =>
      resolve({ ok: false, failure: { failure: "connection_error", status: null, retryAfterMs: null, message: "p1 connection failed (AbortError)" } }),
    ),
  );

describe("attempt loop: client disconnects", () => {
  it("a client leaving mid-call stops the loop with 499 and leaves the breaker alone", async () => {
    const { failures, breakers, record } = setup();
    const client = new AbortController();
    const result = await runAttempts<string>({
      risk: "low",
      retryLimit: 2,
      targets: [{ model: "m1", params: {}, tier: 0, alternates: [], deployments: [{ model: "m1", params: {} }] }],
      validatorPresent: false,
      tenant,
      deadline: Date.now() + 60_000,
      record,
      breakers,
      rng: () => 0.5,
      signal: client.signal,
      call: (ctx) => {
        setImmediate(() => client.abort(new Error("client closed the connection")));
        return cut(ctx.signal);
      },
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.decision.httpStatus).toBe(499);
    expect(failures).toEqual([]);
    expect(record.attempts).toHaveLength(1);
    expect(record.attempts[0]).toMatchObject({ status: 499, message: "client closed the connection" });
  });

  it("the same cut connection without a departed client counts against the target", async () => {
    const { failures, breakers, record } = setup();
    let calls = 0;
    const result = await runAttempts<string>({
      risk: "high",
      retryLimit: 0,
      targets: [{ model: "m1", params: {}, tier: 0, alternates: [], deployments: [{ model: "m1", params: {} }] }],
      validatorPresent: false,
      tenant,
      deadline: Date.now() + 60_000,
      record,
      breakers,
      rng: () => 0.5,
      signal: new AbortController().signal,
      call: async () => {
        calls++;
        return { ok: false, failure: { failure: "connection_error", status: null, retryAfterMs: null, message: "p1 connection failed" } };
      },
    });
    expect(result.ok).toBe(false);
    expect(calls).toBe(1);
    expect(failures).toEqual([{ key: "t1:p1/m1", failure: "connection_error" }]);
  });
});
