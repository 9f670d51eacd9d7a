// Contract: OpenAI-shaped requests become generateContent requests; Gemini responses, SSE streams and errors
// come back OpenAI-shaped, against payloads recorded from the Gemini API documentation.
import { describe, expect, it } from "vitest";
import { GatewayError } from "@gateway/policy/errors";
import { assemble, loadFixture, loadJsonFixture, testContext, transformRecordedStream } from "../contract-harness.ts";
import { parseChatCompletionRequest, type ChatCompletionRequest } from "../openai-types.ts";
import type { UpstreamTarget } from "../types.ts";
import { geminiAdapter } from "./adapter.ts";

const target: UpstreamTarget = {
  kind: "gemini",
  baseUrl: "https://generativelanguage.googleapis.com",
  apiKey: "AIza-test-key",
  authStyle: "bearer",
  upstreamModel: "gemini-2.5-flash",
};
const plain: ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "hi" }] };

describe("gemini request transform", () => {
  it("maps roles, system instruction, images, tool calls and results, tool choice and JSON schema", () => {
    const { in: input, out } = loadJsonFixture<{ in: unknown; out: unknown }>("gemini", "request-tools.json");
    const req = geminiAdapter.buildChatRequest(target, parseChatCompletionRequest(input));
    expect(req.url).toBe("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent");
    expect(req.headers["x-goog-api-key"]).toBe("AIza-test-key");
    expect(req.url).not.toContain("AIza");
    expect(req.body).toEqual(out);
  });

  it("streams through streamGenerateContent with alt=sse", () => {
    const req = geminiAdapter.buildChatRequest(
      { ...target, baseUrl: "http://127.0.0.1:1/gemini/v1beta" },
      { ...plain, stream: true },
    );
    expect(req.url).toBe("http://127.0.0.1:1/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  });

  it("rejects a tool result whose call it cannot name", () => {
    try {
      geminiAdapter.buildChatRequest(target, {
        model: "m",
        messages: [{ role: "tool", tool_call_id: "nope", content: "x" }],
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).param).toBe("messages[0].tool_call_id");
    }
  });

  it.each([
    [{ logprobs: true }, "logprobs"],
    [{ parallel_tool_calls: false }, "parallel_tool_calls"],
    [{ logit_bias: { "1": 2 } }, "logit_bias"],
  ] as const)("rejects %j with a 400 naming the field", (extra, param) => {
    expect(() => geminiAdapter.buildChatRequest(target, { ...plain, ...extra })).toThrow(
      expect.objectContaining({ httpStatus: 400, param }) as Error,
    );
  });
});

describe("gemini response transform", () => {
  it("maps text, STOP and usage with thinking tokens billed as output and cached tokens", () => {
    const { completion, usage } = geminiAdapter.parseChatResponse(
      loadJsonFixture("gemini", "response-text.json"),
      testContext,
    );
    expect(completion.choices[0]?.message.content).toBe("AI learns patterns from data to make predictions.");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(usage).toEqual({ inputTokens: 8, outputTokens: 1033, cachedTokens: 4, estimated: false });
  });

  it("maps parallel function calls to tool_calls with minted ids", () => {
    const { completion } = geminiAdapter.parseChatResponse(
      loadJsonFixture("gemini", "response-function-calls.json"),
      testContext,
    );
    const calls = completion.choices[0]?.message.tool_calls ?? [];
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ["set_light_values", { brightness: 25, color_temp: "warm" }],
      ["turn_on_music", { genre: "jazz" }],
    ]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(calls.every((c) => c.id.startsWith("call_"))).toBe(true);
  });

  it("maps a blocked prompt to content_filter", () => {
    const { completion } = geminiAdapter.parseChatResponse(
      loadJsonFixture("gemini", "response-blocked.json"),
      testContext,
    );
    expect(completion.choices[0]).toMatchObject({ finish_reason: "content_filter", message: { content: null } });
  });
});

describe("gemini stream transform", () => {
  it("turns response chunks into deltas and is finished at the finishReason", async () => {
    const { chunks, transform } = await transformRecordedStream(
      geminiAdapter,
      loadFixture("gemini", "stream-text.sse"),
      plain,
    );
    expect(assemble(chunks)).toMatchObject({ content: "The sky is blue.", finishReason: "stop", roles: ["assistant"] });
    expect(transform.finished).toBe(true);
    expect(transform.usage()).toEqual({ inputTokens: 10, outputTokens: 5, cachedTokens: 2, estimated: false });
  });

  it("emits whole function calls as indexed tool-call deltas", async () => {
    const { chunks } = await transformRecordedStream(
      geminiAdapter,
      loadFixture("gemini", "stream-function-calls.sse"),
      plain,
    );
    const a = assemble(chunks);
    expect(a.finishReason).toBe("tool_calls");
    expect(a.toolCalls.map((t) => [t.name, t.arguments])).toEqual([
      ["get_weather", '{"city":"Paris"}'],
      ["get_weather", '{"city":"Tokyo"}'],
    ]);
  });

  it("is not finished when the stream ends before a finishReason", async () => {
    const first = loadFixture("gemini", "stream-text.sse").split("\r\n\r\n")[0] + "\r\n\r\n";
    const { transform } = await transformRecordedStream(geminiAdapter, first, plain);
    expect(transform.finished).toBe(false);
  });
});

describe("gemini error mapping", () => {
  it("reads the back-off from RetryInfo when no Retry-After header is sent", () => {
    expect(geminiAdapter.mapError(429, loadFixture("gemini", "error-429.json"), {})).toMatchObject({
      failure: "rate_limited",
      retryAfterMs: 37_000,
      providerCode: "RESOURCE_EXHAUSTED",
    });
  });

  it("maps 503 UNAVAILABLE to server_error and 400 to client_error", () => {
    expect(geminiAdapter.mapError(503, loadFixture("gemini", "error-503.json"), {})).toMatchObject({
      failure: "server_error",
    });
    expect(geminiAdapter.mapError(400, loadFixture("gemini", "error-400.json"), {})).toMatchObject({
      failure: "client_error",
      providerCode: "INVALID_ARGUMENT",
    });
  });
});

describe("gemini embeddings", () => {
  it("batches inputs and reads the vectors back in order", () => {
    const req = geminiAdapter.buildEmbeddingsRequest(
      { ...target, upstreamModel: "gemini-embedding-001" },
      {
        model: "emb",
        input: ["a", "b"],
        dimensions: 3,
      },
    );
    expect(req.url).toBe(
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents",
    );
    expect(req.body).toEqual({
      requests: [
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "a" }] }, outputDimensionality: 3 },
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "b" }] }, outputDimensionality: 3 },
      ],
    });
    const { response, usage } = geminiAdapter.parseEmbeddingsResponse(
      loadJsonFixture("gemini", "embeddings-batch.json"),
      {
        model: "emb",
        input: ["a", "b"],
      },
      target,
    );
    expect(response.data.map((d) => d.index)).toEqual([0, 1]);
    expect(response.data[0]?.embedding).toEqual([0.013168523, -0.008711934, -0.046782676]);
    expect(usage).toBeNull();
  });

  it("rejects token-id input", () => {
    expect(() => geminiAdapter.buildEmbeddingsRequest(target, { model: "e", input: [1, 2, 3] })).toThrow(
      /not supported by provider gemini/,
    );
  });
});
