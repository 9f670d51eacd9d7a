import { describe, expect, it } from "vitest";
import { upstreamUrlProblem } from "./upstream-url.ts";

describe("provider base URLs", () => {
  it("accepts public http(s) URLs", () => {
    expect(upstreamUrlProblem("https://api.openai.com/v1", false)).toBeNull();
    expect(upstreamUrlProblem("https://8.8.8.8/v1", false)).toBeNull();
    expect(upstreamUrlProblem("https://[2606:4700::1111]/", false)).toBeNull();
  });

  it.each([
    "http://127.0.0.1:4010/openai/v1",
    "http://localhost:4010",
    "http://api.localhost",
    "http://10.1.2.3",
    "http://172.20.0.5",
    "http://192.168.1.10",
    "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1",
    "http://0.0.0.0:8080",
    "http://[::1]:4010",
    "http://[fe80::1]",
    "http://[fd00::1]",
    "http://[::ffff:127.0.0.1]",
    "http://2130706433/", // 127.0.0.1 as one number: URL parsing normalises it
  ])("refuses %s unless private upstreams are allowed", (url) => {
    expect(upstreamUrlProblem(url, false)).toMatch(/^points at a [a-z-]+ address/);
    expect(upstreamUrlProblem(url, true)).toBeNull();
  });

  it("refuses what is not an http(s) URL, or carries credentials", () => {
    expect(upstreamUrlProblem("ftp://example.com", true)).toBe("expected an http or https URL");
    expect(upstreamUrlProblem("not a url", true)).toBe("expected an absolute http(s) URL");
    expect(upstreamUrlProblem("https://user:pw@example.com", true)).toMatch(/credentials/);
  });
});
