import { describe, expect, it } from "vitest";
import { compileSafePattern, findAll, SCAN_WINDOW } from "./safe-regex.ts";

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
    ["\\d+\\d+x", /adjacent quantifiers/],
    [".*.*=.*", /adjacent quantifiers/],
    ["\\w*\\s?\\w*!", /adjacent quantifiers/],
    ["(a)\\1", /backreferences/],
    ["(?<x>a)\\k<x>", /backreferences/],
    ["(?<=a)b", /lookbehind/],
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
    "acme(?=corp)",
  ])("%s", (pattern) => {
    const r = compileSafePattern(pattern);
    expect(r.ok).toBe(true);
  });

  it("compiles with the fixed flags (case-insensitive, unicode)", () => {
    const r = compileSafePattern("falcon");
    if (!r.ok) throw new Error(r.reason);
    expect(r.regex.flags).toBe("giu");
    expect(findAll(r.regex, "Project FALCON and falcon").count).toBe(2);
  });
});

describe("findAll", () => {
  it("finds matches across window seams once each", () => {
    const r = compileSafePattern("needle");
    if (!r.ok) throw new Error(r.reason);
    const filler = "x".repeat(SCAN_WINDOW - 3);
    const text = `${filler}needle${"y".repeat(SCAN_WINDOW)}needle`;
    const m = findAll(r.regex, text);
    expect(m.count).toBe(2);
    expect(m.ranges[0]).toEqual([SCAN_WINDOW - 3, SCAN_WINDOW + 3]);
  });

  it("handles empty text", () => {
    const r = compileSafePattern("a");
    if (!r.ok) throw new Error(r.reason);
    expect(findAll(r.regex, "").count).toBe(0);
  });
});
