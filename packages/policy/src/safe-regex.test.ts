import { describe, expect, it } from "vitest";
import { compileSafePattern, findAll } from "./safe-regex.ts";

function refused(pattern: string): string {
  const r = compileSafePattern(pattern);
  if (r.ok) throw new Error(`expected ${pattern} to be refused`);
  return r.reason;
}

describe("compileSafePattern refuses hostile patterns", () => {
  it.each([
    ["(a+)+$", /nested quantifiers/],
    ["(x+x+)+y", /nested quantifiers/],
    ["(.*){1,32000}", /repeat counts above/],
    ["(.*){1,30}", /nested quantifiers/],
    ["(a*)*", /nested quantifiers/],
    ["(.*a){12}", /nested quantifiers/],
    ["(a?){20}a{20}", /nested quantifiers/],
    ["(a|a)*", /alternation/],
    ["(a|ab)+c", /alternation/],
    ["(\\w|\\d)+", /alternation/],
    ["(a)\\1", /backreferences/],
    ["(?<x>a)\\k<x>", /backreferences/],
    ["(?<=a)b", /lookbehind/],
    ["acme(?=corp)", /lookahead/],
    ["\\u0041", /RE2/],
    ["a{2000}", /repeat counts above/],
    ["(", /not a valid regular expression/],
    ["", /empty/],
    ["a".repeat(600), /longer than/],
  ])("%s", (pattern, reason) => {
    expect(refused(pattern)).toMatch(reason);
  });

  it("never echoes the pattern in its reason", () => {
    expect(refused("(secretword+)+")).not.toContain("secretword");
  });
});

describe("compileSafePattern accepts ordinary banned patterns", () => {
  it.each([
    "project\\s+falcon",
    "\\bconfidential\\b",
    "ignore.*instructions",
    "(foo|bar)+baz",
    "[A-Z]{3}-\\d{4}",
    "(?:internal|secret) roadmap",
    "\\d{3}-\\d{2}-\\d{4}",
    "\\w+@example\\.com",
    // Polynomial in a backtracking engine, linear on RE2: accepted.
    "ignore.*previous.*instructions",
    ".*a.*b",
    "\\d+\\d+x",
    "ignore.{0,40}previous.{0,40}instructions",
    "a.*b",
  ])("%s", (pattern) => {
    const r = compileSafePattern(pattern);
    expect(r.ok).toBe(true);
  });

  it("matches case-insensitively", () => {
    const r = compileSafePattern("falcon");
    if (!r.ok) throw new Error(r.reason);
    expect(r.regex.test("Project FALCON")).toBe(true);
    expect(findAll(r.regex, "Project FALCON and falcon").count).toBe(2);
  });
});

describe("findAll", () => {
  function pattern(p: string) {
    const r = compileSafePattern(p);
    if (!r.ok) throw new Error(r.reason);
    return r.regex;
  }

  it("reports offsets in the string's own indices, astral characters included", () => {
    const text = "😀 needle, é NEEDLE";
    const m = findAll(pattern("needle"), text);
    expect(m.count).toBe(2);
    for (const [s, e] of m.ranges) expect(text.slice(s, e).toLowerCase()).toBe("needle");
  });

  it("handles empty text and patterns that can match empty", () => {
    expect(findAll(pattern("a"), "").count).toBe(0);
    expect(findAll(pattern("x*"), "axxb x").count).toBe(2);
  });

  it("runs a pattern that is exponential for a backtracking engine in linear time, without hanging", () => {
    // Quadratic-per-start in V8 (minutes on this input); RE2 does it in one pass.
    const m = findAll(pattern(".*a.*b"), "a".repeat(200_000));
    expect(m.count).toBe(0);
  });
});
