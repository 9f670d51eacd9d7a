import { describe, expect, it } from "vitest";
import { canonicalJson, compileValidator, validateOutput, validatorSchemaProblem } from "./validator.ts";

const schema = { type: "object", required: ["label"], properties: { label: { enum: ["spam", "ham"] } }, additionalProperties: false };

describe("validateOutput", () => {
  it("accepts JSON that matches the schema and returns the parsed value", () => {
    expect(validateOutput(schema, '{"label":"spam"}')).toEqual({ ok: true, value: { label: "spam" } });
  });

  it("text that is not JSON is invalid output", () => {
    expect(validateOutput(schema, "Sure! Here is the label: spam")).toEqual({ ok: false, reason: "output is not valid JSON" });
  });

  it("JSON that breaks the schema is invalid, with the failing path in the reason", () => {
    const r = validateOutput(schema, '{"label":"eggs"}');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain("/label");
  });

  it("judges the JSON inside a ```json fence", () => {
    expect(validateOutput(schema, '```json\n{"label":"ham"}\n```').ok).toBe(true);
  });

  it("accepts draft-07 schemas as well as 2020-12", () => {
    const d7 = { $schema: "http://json-schema.org/draft-07/schema#", type: "array", items: { type: "number" } };
    expect(validateOutput(d7, "[1,2]").ok).toBe(true);
    expect(validateOutput(d7, '[1,"x"]').ok).toBe(false);
  });
});

describe("compiled validator cache", () => {
  it("is keyed by canonical JSON: the same schema with keys in another order compiles once", () => {
    const reordered = { additionalProperties: false, properties: { label: { enum: ["spam", "ham"] } }, required: ["label"], type: "object" };
    expect(canonicalJson(reordered)).toBe(canonicalJson(schema));
    expect(compileValidator(reordered)).toBe(compileValidator(schema));
  });

  it("a schema with $id can be used by several route versions", () => {
    const withId = { $id: "https://example.com/out", type: "string" };
    expect(validateOutput(withId, '"x"').ok).toBe(true);
    expect(validateOutput({ ...withId, minLength: 2 }, '"x"').ok).toBe(false);
  });

  it("reports an unusable schema instead of compiling it", () => {
    expect(validatorSchemaProblem({ type: "not-a-type" })).toMatch(/type/);
    expect(validatorSchemaProblem(schema)).toBeNull();
  });
});
