import { describe, expect, it } from "vitest";
import { previewAdmission, type AdmissionPreviewInput } from "./admission.ts";
import type { BudgetRule } from "./budget.ts";

const subject = { tenantId: "t1", appId: "a1", apiKeyId: "k1", routeId: "r1", modelName: "m1" };
const now = new Date("2026-11-23T12:00:30Z"); // 30 s into a rate window
const spentBudget: BudgetRule = {
  id: "b1",
  name: "monthly",
  scope: "tenant",
  appId: null,
  apiKeyId: null,
  routeId: null,
  period: "month",
  limitMicros: 100n,
  softThresholdPct: 80,
  action: "block",
  downgradeRouteId: null,
};
const base: AdmissionPreviewInput = {
  subject,
  rateLimits: [],
  budgets: [],
  timeZone: "UTC",
  now,
  estimatedTokens: 10,
  reserveMicros: 5n,
  counters: {},
};

describe("previewAdmission", () => {
  it("admits on empty counters and reports the headers the response would carry", () => {
    const p = previewAdmission({ ...base, key: { rpm: 10, tpm: 1000 } });
    expect(p.verdict).toEqual({
      kind: "admit",
      headers: {
        "x-ratelimit-limit-requests": "10",
        "x-ratelimit-remaining-requests": "9",
        "x-ratelimit-reset-requests": "30s",
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": "990",
        "x-ratelimit-reset-tokens": "30s",
      },
    });
  });

  it("a spent budget refuses before rate limits are looked at", () => {
    const p = previewAdmission({
      ...base,
      key: { rpm: 1, tpm: null },
      budgets: [spentBudget],
      counters: { rate: { "key:k1:rpm": { current: 1, previous: 0 } }, budgets: { b1: { spentMicros: 100n, reservedMicros: 0n } } },
    });
    expect(p.verdict).toMatchObject({ kind: "budget_exceeded", budget: { id: "b1" }, window: { key: "month:2026-11" } });
  });

  it("a spent downgrade budget redirects to its route", () => {
    const p = previewAdmission({
      ...base,
      budgets: [{ ...spentBudget, action: "downgrade", downgradeRouteId: "r-cheap" }],
      counters: { budgets: { b1: { spentMicros: 100n, reservedMicros: 0n } } },
    });
    expect(p.verdict).toMatchObject({ kind: "downgrade", downgradeRouteId: "r-cheap" });
  });

  it("of several full limits, reports the one with the longest wait", () => {
    const p = previewAdmission({
      ...base,
      rateLimits: [
        { id: "tenant", scope: "tenant", appId: null, apiKeyId: null, routeId: null, modelName: null, rpm: 5, tpm: null },
        { id: "route", scope: "route", appId: null, apiKeyId: null, routeId: "r1", modelName: null, rpm: 5, tpm: null },
      ],
      counters: {
        rate: {
          "tenant:t1:rpm": { current: 1, previous: 10 }, // frees up as the previous window slides out
          "route:r1:rpm": { current: 5, previous: 0 }, // full until the next window
        },
      },
    });
    expect(p.verdict).toMatchObject({ kind: "rate_limited", limit: { scope: "route" }, retryAfterSeconds: 31 });
  });
});
