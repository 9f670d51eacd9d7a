import { describe, expect, it } from "vitest";
import { faultFromText, FaultRules, FaultSpecError, parseFaultSpec, resolveFault, stripMarkers } from "./faults.ts";

describe("fault specs", () => {
  it("reads key=value lists, bare flags and JSON", () => {
    expect(parseFaultSpec("status=429, retry_after=1")).toEqual({ status: 429, retry_after: 1 });
    expect(parseFaultSpec("no_usage,cut_after=3")).toEqual({ no_usage: true, cut_after: 3 });
    expect(parseFaultSpec('{"status":503,"retry_after":"Wed, 21 Oct 2026 07:28:00 GMT"}')).toEqual({
      status: 503,
      retry_after: "Wed, 21 Oct 2026 07:28:00 GMT",
    });
  });

  it("refuses unknown keys and bad values", () => {
    expect(() => parseFaultSpec("stauts=429")).toThrow(FaultSpecError);
    expect(() => parseFaultSpec("status=200")).toThrow(FaultSpecError);
  });

  it("finds markers in text and strips them from the prompt", () => {
    expect(faultFromText("hello [[mock:status=500]] there [[mock:delay_ms=10]]")).toEqual({
      status: 500,
      delay_ms: 10,
    });
    expect(faultFromText("no marker")).toBeNull();
    expect(stripMarkers("hello [[mock:status=500]] there")).toBe("hello there");
  });

  it("lets the more specific source win field by field", () => {
    expect(resolveFault([{ status: 500, delay_ms: 5 }, null, { status: 429 }])).toEqual({ status: 429, delay_ms: 5 });
    expect(resolveFault([null, null])).toBeNull();
  });
});

describe("fault rules", () => {
  it("match on model, provider and stream, and run out after `times`", () => {
    const rules = new FaultRules();
    rules.add({ match: { model: "m1", provider: "openai" }, fault: { status: 503 }, times: 2 });
    const facts = { provider: "openai" as const, path: "/openai/v1/chat/completions", model: "m1", stream: false };
    expect(rules.take({ ...facts, model: "other" })).toBeNull();
    expect(rules.take({ ...facts, provider: "gemini" })).toBeNull();
    expect(rules.take(facts)).toEqual({ status: 503 });
    expect(rules.list()[0]?.remaining).toBe(1);
    expect(rules.take(facts)).toEqual({ status: 503 });
    expect(rules.take(facts)).toBeNull();
    expect(rules.list()).toEqual([]);
  });
});
