import { describe, expect, it } from "vitest";
import { failureForStatus, parseRetryAfterMs } from "./upstream-errors.ts";

describe("Retry-After", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("reads seconds, HTTP dates and retry-after-ms", () => {
    expect(parseRetryAfterMs({ "retry-after": "2" }, now)).toBe(2000);
    expect(parseRetryAfterMs({ "retry-after": "0.5" }, now)).toBe(500);
    expect(parseRetryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }, now)).toBe(30_000);
    expect(parseRetryAfterMs({ "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" }, now)).toBe(0);
    expect(parseRetryAfterMs({ "retry-after-ms": "250", "retry-after": "9" }, now)).toBe(250);
  });

  it("is null when absent or unreadable", () => {
    expect(parseRetryAfterMs({}, now)).toBeNull();
    expect(parseRetryAfterMs({ "retry-after": "soon" }, now)).toBeNull();
  });
});

describe("failure classification", () => {
  it.each([
    [429, "rate_limited"],
    [408, "timeout"],
    [500, "server_error"],
    [503, "server_error"],
    [529, "server_error"],
    [400, "client_error"],
    [401, "client_error"],
    [404, "client_error"],
  ] as const)("%i → %s", (status, failure) => {
    expect(failureForStatus(status)).toBe(failure);
  });
});
