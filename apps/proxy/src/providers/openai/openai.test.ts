// Contract: what we send OpenAI and how we read what it sends back, against recorded payloads.
import { describe, expect, it } from "vitest";
import { assemble, loadFixture, loadJsonFixture, testContext, transformRecordedStream } from "../contract-harness.ts";
import { parseChatCompletionRequest, type ChatCompletionRequest } from "../openai-types.ts";
import type { UpstreamTarget } from "../types.ts";
import { UpstreamError } from "../types.ts";
import { openAIAdapter } from "./adapter.ts";

const target: UpstreamTarget = {
  kind: "openai",
  baseUrl: "https://api.openai.com/v1/",
  apiKey: "sk-test-key",
  authStyle: "bearer",
  upstreamModel: "gpt-4o-2024-08-06",
  headers: { "OpenAI-Organization": "org-abc" },
};
const plain: ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "hi" }] };

describe("openai request transform", () => {
  it("sends the client's request with the upstream model, usage requested in streams and gateway metadata kept back", () => {
    const { in: input, out } = loadJsonFixture<{ in: unknown; out: unknown }>("openai", "request-tools.json");
    const req = openAIAdapter.buildChatRequest(target, parseChatCompletionRequest(input));
    expect(req.url).toBe("https://api.openai.com/v1/chat/completions");
    expect(req.headers.authorization).toBe("Bearer sk-test-key");
    expect(req.headers["openai-organization"]).toBe("org-abc");
    expect(req.body).toEqual(out);
  });

  it("does not send stream_options on a non-streaming call", () => {
    const body = openAIAdapter.buildChatRequest(target, { ...plain, stream_options: { include_usage: true } }).body;
    expect(body).not.toHaveProperty("stream_options");
  });
});

describe("openai response transform", () => {
  it("reads text, finish reason and usage with cached tokens", () => {
    const { completion, usage } = openAIAdapter.parseChatResponse(
      loadJsonFixture("openai", "response-text.json"),
      testContext,
    );
    expect(completion.model).toBe("route-model");
    expect(completion.choices[0]?.message.content).toMatch(/wooden boardwalk/);
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(usage).toEqual({ inputTokens: 1117, outputTokens: 46, cachedTokens: 1024, estimated: false });
  });

  it("reads parallel tool calls", () => {
    const { completion } = openAIAdapter.parseChatResponse(
      loadJsonFixture("openai", "response-tools-parallel.json"),
      testContext,
    );
    const msg = completion.choices[0]?.message;
    expect(msg?.content).toBeNull();
    expect(msg?.tool_calls?.map((t) => [t.id, t.function.name, JSON.parse(t.function.arguments)])).toEqual([
      ["call_abc123", "get_current_weather", { location: "Boston, MA" }],
      ["call_def456", "get_current_weather", { location: "Paris, France" }],
    ]);
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("treats a payload without choices as a server failure", () => {
    expect(() => openAIAdapter.parseChatResponse({ id: "x", object: "chat.completion" }, testContext)).toThrow(
      UpstreamError,
    );
  });
});

describe("openai stream transform", () => {
  it("passes text deltas through, takes usage from the final chunk and ends at [DONE]", async () => {
    const { chunks, transform } = await transformRecordedStream(
      openAIAdapter,
      loadFixture("openai", "stream-text.sse"),
      plain,
    );
    expect(assemble(chunks)).toMatchObject({ content: "Hello there!", finishReason: "stop", roles: ["assistant"] });
    expect(chunks.every((c) => c.model === "route-model" && c.object === "chat.completion.chunk")).toBe(true);
    expect(transform.finished).toBe(true);
    expect(transform.usage()).toEqual({ inputTokens: 9, outputTokens: 3, cachedTokens: 0, estimated: false });
  });

  it("keeps parallel tool-call deltas with their index, id, name and argument fragments", async () => {
    const { chunks } = await transformRecordedStream(
      openAIAdapter,
      loadFixture("openai", "stream-tools-parallel.sse"),
      plain,
    );
    const a = assemble(chunks);
    expect(a.finishReason).toBe("tool_calls");
    expect(a.toolCalls).toEqual([
      { id: "call_W1", name: "get_weather", arguments: '{"city": "Paris"}' },
      { id: "call_W2", name: "get_weather", arguments: '{"city": "Tokyo"}' },
    ]);
  });

  it("throws an in-stream error event as a server failure", async () => {
    await expect(
      transformRecordedStream(openAIAdapter, loadFixture("openai", "stream-error.sse"), plain),
    ).rejects.toMatchObject({
      failure: "server_error",
    });
  });

  it("is not finished when the stream stops before [DONE]", async () => {
    const cut = loadFixture("openai", "stream-text.sse").split("data: [DONE]")[0] ?? "";
    const { transform } = await transformRecordedStream(openAIAdapter, cut, plain);
    expect(transform.finished).toBe(false);
  });
});

describe("openai error mapping", () => {
  it("maps 429 to rate_limited with retry-after-ms preferred over Retry-After", () => {
    const err = openAIAdapter.mapError(429, loadFixture("openai", "error-429.json"), {
      "retry-after": "1",
      "retry-after-ms": "120",
    });
    expect(err).toMatchObject({
      failure: "rate_limited",
      status: 429,
      retryAfterMs: 120,
      providerCode: "rate_limit_exceeded",
    });
  });

  it("maps a 400 to client_error and keeps the provider code", () => {
    const err = openAIAdapter.mapError(400, loadFixture("openai", "error-400-context.json"), {});
    expect(err).toMatchObject({ failure: "client_error", status: 400, providerCode: "context_length_exceeded" });
  });

  it("maps 5xx with an HTML body to server_error", () => {
    expect(openAIAdapter.mapError(502, "<html>Bad gateway</html>", {})).toMatchObject({
      failure: "server_error",
      status: 502,
    });
  });

  it("never echoes a key that a provider message contains", () => {
    const body = JSON.stringify({
      error: {
        message: "Incorrect API key provided: sk-proj-abcdefghijklmnop1234",
        type: "invalid_request_error",
        code: "invalid_api_key",
      },
    });
    const err = openAIAdapter.mapError(401, body, {});
    expect(err.message).not.toContain("abcdefghijklmnop1234");
    expect(err.failure).toBe("client_error");
  });
});
