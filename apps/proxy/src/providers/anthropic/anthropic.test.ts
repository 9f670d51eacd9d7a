// Contract: OpenAI-shaped requests become Anthropic Messages requests, and Anthropic responses, streams and
// errors come back OpenAI-shaped, against payloads recorded from the Messages API documentation.
import { describe, expect, it } from "vitest";
import { GatewayError } from "@gateway/policy/errors";
import { assemble, loadFixture, loadJsonFixture, testContext, transformRecordedStream } from "../contract-harness.ts";
import { parseChatCompletionRequest, type ChatCompletionRequest } from "../openai-types.ts";
import type { UpstreamTarget } from "../types.ts";
import { anthropicAdapter } from "./adapter.ts";

const target: UpstreamTarget = {
  kind: "anthropic",
  baseUrl: "https://api.anthropic.com",
  apiKey: "sk-ant-test",
  authStyle: "bearer",
  upstreamModel: "claude-sonnet-4-5-20250929",
};
const plain: ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "hi" }] };

function rejection(req: ChatCompletionRequest): GatewayError {
  try {
    anthropicAdapter.buildChatRequest(target, req);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error("expected the request to be rejected");
}

describe("anthropic request transform", () => {
  it("moves system prompts out, turns tool calls into tool_use and tool messages into one tool_result turn", () => {
    const { in: input, out } = loadJsonFixture<{ in: unknown; out: unknown }>("anthropic", "request-tools.json");
    const req = anthropicAdapter.buildChatRequest(target, parseChatCompletionRequest(input));
    expect(req.url).toBe("https://api.anthropic.com/v1/messages");
    expect(req.headers).toMatchObject({ "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01" });
    expect(req.headers).not.toHaveProperty("authorization");
    expect(req.body).toEqual(out);
  });

  it("fills the max_tokens Anthropic requires and carries JSON mode as an instruction with the schema", () => {
    const body = anthropicAdapter.buildChatRequest(target, {
      ...plain,
      response_format: {
        type: "json_schema",
        json_schema: { name: "s", schema: { type: "object", properties: { a: { type: "string" } } } },
      },
    }).body as Record<string, unknown>;
    expect(body.max_tokens).toBe(4096);
    expect(body.system).toContain('{"type":"object","properties":{"a":{"type":"string"}}}');
  });

  it.each([
    [{ n: 2 }, "n"],
    [{ logprobs: true }, "logprobs"],
    [{ temperature: 1.5 }, "temperature"],
    [{ seed: 7 }, "seed"],
    [{ frequency_penalty: 0.5 }, "frequency_penalty"],
  ] as const)("rejects %j with a 400 naming the field", (extra, param) => {
    const err = rejection({ ...plain, ...extra });
    expect(err.httpStatus).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toMatch(/anthropic/);
  });

  it("rejects audio input parts, naming the part", () => {
    const err = rejection({
      model: "m",
      messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] }],
    });
    expect(err.param).toBe("messages[0].content[0]");
  });

  it("rejects tool call arguments that are not JSON", () => {
    const err = rejection({
      model: "m",
      messages: [
        { role: "user", content: "x" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "{oops" } }],
        },
      ],
    });
    expect(err.param).toBe("messages[1].tool_calls[0].function.arguments");
  });
});

describe("anthropic response transform", () => {
  it("maps text, end_turn and usage with cache reads counted into prompt tokens", () => {
    const { completion, usage } = anthropicAdapter.parseChatResponse(
      loadJsonFixture("anthropic", "response-text.json"),
      testContext,
    );
    expect(completion.choices[0]?.message.content).toBe("Hello! How can I help you today?");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(usage).toEqual({ inputTokens: 2060, outputTokens: 10, cachedTokens: 2048, estimated: false });
    expect(completion.usage).toMatchObject({
      prompt_tokens: 2060,
      completion_tokens: 10,
      prompt_tokens_details: { cached_tokens: 2048 },
    });
  });

  it("maps parallel tool_use blocks to tool_calls", () => {
    const { completion } = anthropicAdapter.parseChatResponse(
      loadJsonFixture("anthropic", "response-tool-use.json"),
      testContext,
    );
    const msg = completion.choices[0]?.message;
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(msg?.content).toBe("I'll check the weather in both cities.");
    expect(msg?.tool_calls?.map((t) => [t.id, t.function.name, JSON.parse(t.function.arguments)])).toEqual([
      ["toolu_01A09q90qw90lq917835lq9", "get_weather", { location: "San Francisco, CA", unit: "celsius" }],
      ["toolu_01B19q90qw90lq917835lq0", "get_weather", { location: "New York, NY", unit: "celsius" }],
    ]);
  });
});

describe("anthropic stream transform", () => {
  it("turns the event sequence into text deltas with a finish reason and final usage", async () => {
    const { chunks, transform } = await transformRecordedStream(
      anthropicAdapter,
      loadFixture("anthropic", "stream-text.sse"),
      plain,
    );
    expect(assemble(chunks)).toMatchObject({ content: "Hello!", finishReason: "stop", roles: ["assistant"] });
    expect(transform.finished).toBe(true);
    expect(transform.usage()).toEqual({ inputTokens: 25, outputTokens: 15, cachedTokens: 0, estimated: false });
  });

  it("numbers tool calls from 0 although Anthropic numbers them after the text block", async () => {
    const { chunks, transform } = await transformRecordedStream(
      anthropicAdapter,
      loadFixture("anthropic", "stream-tool-use.sse"),
      plain,
    );
    const a = assemble(chunks);
    expect(a.content).toBe("Okay, let's check the weather for both cities:");
    expect(a.finishReason).toBe("tool_calls");
    expect(a.toolCalls).toEqual([
      { id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", arguments: '{"location": "San Francisco, CA"}' },
      { id: "toolu_02T1x1fJ34qAmk2tNTrN7Up7", name: "get_weather", arguments: '{"location": "Tokyo"}' },
    ]);
    expect(transform.usage()).toEqual({ inputTokens: 572, outputTokens: 89, cachedTokens: 100, estimated: false });
  });

  it("throws an overloaded error event as a server failure", async () => {
    await expect(
      transformRecordedStream(anthropicAdapter, loadFixture("anthropic", "stream-error.sse"), plain),
    ).rejects.toMatchObject({ failure: "server_error", providerCode: "overloaded_error" });
  });
});

describe("anthropic error mapping", () => {
  it("maps 529 overloaded to server_error", () => {
    expect(anthropicAdapter.mapError(529, loadFixture("anthropic", "error-overloaded.json"), {})).toMatchObject({
      failure: "server_error",
      status: 529,
      providerCode: "overloaded_error",
    });
  });

  it("maps 429 with an HTTP-date Retry-After", () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const err = anthropicAdapter.mapError(429, loadFixture("anthropic", "error-rate-limit.json"), {
      "retry-after": at,
    });
    expect(err.failure).toBe("rate_limited");
    expect(err.retryAfterMs).toBeGreaterThan(25_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it("maps 400 to client_error", () => {
    expect(anthropicAdapter.mapError(400, loadFixture("anthropic", "error-invalid-request.json"), {})).toMatchObject({
      failure: "client_error",
      providerCode: "invalid_request_error",
    });
  });
});

describe("anthropic embeddings", () => {
  it("are refused as a client error", () => {
    expect(() => anthropicAdapter.buildEmbeddingsRequest(target, { model: "e", input: "x" })).toThrow(
      /not supported by provider anthropic/,
    );
  });
});
