import { describe, expect, it } from "vitest";
import { canonicalJson, exactCacheKey } from "./cache-key.ts";

const base = {
  tenantId: "tenant-a",
  routeName: "support-summary",
  routeVersion: 3,
  request: {
    model: "support-summary",
    messages: [{ role: "user", content: "hello" }],
    temperature: 0,
    response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
  },
};

describe("exactCacheKey", () => {
  it("is scoped by the tenant hash tag, the route and its version", () => {
    expect(exactCacheKey(base)).toMatch(/^\{t:tenant-a\}:cache:support-summary:v3:[0-9a-f]{64}$/);
  });

  it("gives the same key whatever the order of object keys", () => {
    const reordered = {
      ...base,
      request: {
        response_format: { json_schema: { schema: { type: "object" }, name: "x" }, type: "json_schema" },
        temperature: 0,
        messages: [{ content: "hello", role: "user" }],
        model: "support-summary",
      },
    };
    expect(exactCacheKey(reordered)).toBe(exactCacheKey(base));
  });

  it("ignores delivery and bookkeeping fields: stream, stream_options, user, metadata", () => {
    const streamed = {
      ...base,
      request: { ...base.request, stream: true, stream_options: { include_usage: true }, user: "u1", metadata: { a: "b" } },
    };
    expect(exactCacheKey(streamed)).toBe(exactCacheKey(base));
  });

  it("differs across tenants and across route versions", () => {
    const k = exactCacheKey(base);
    expect(exactCacheKey({ ...base, tenantId: "tenant-b" })).not.toBe(k);
    expect(exactCacheKey({ ...base, routeVersion: 4 })).not.toBe(k);
    expect(exactCacheKey({ ...base, routeName: "other" })).not.toBe(k);
  });

  it("differs when an output-affecting field changes", () => {
    const k = exactCacheKey(base);
    for (const change of [
      { temperature: 0.5 },
      { messages: [{ role: "user", content: "hello!" }] },
      { tools: [{ type: "function", function: { name: "f", parameters: {} } }] },
      { tool_choice: "none" },
      { top_p: 0.9 },
      { max_tokens: 10 },
      { stop: ["\n"] },
      { seed: 1 },
      { n: 2 },
    ]) {
      expect(exactCacheKey({ ...base, request: { ...base.request, ...change } })).not.toBe(k);
    }
  });

  it("treats max_completion_tokens as max_tokens", () => {
    const a = exactCacheKey({ ...base, request: { ...base.request, max_tokens: 50 } });
    const b = exactCacheKey({ ...base, request: { ...base.request, max_completion_tokens: 50 } });
    expect(a).toBe(b);
  });

  it("keeps array order: message order matters", () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});
