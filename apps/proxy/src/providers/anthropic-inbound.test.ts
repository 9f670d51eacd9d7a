// Anthropic-format clients: their Messages requests become canonical OpenAI requests, and OpenAI answers
// and chunk streams come back as Messages responses and events the official Anthropic SDK accumulates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageStream } from "@anthropic-ai/sdk/lib/MessageStream";
import { GatewayError } from "@gateway/policy/errors";
import { startMockProvider, type MockProvider } from "@gateway/mock-provider";
import {
  anthropicErrorEvent,
  anthropicToOpenAIRequest,
  formatAnthropicSse,
  openAIChunksToAnthropicEvents,
  openAIToAnthropicResponse,
  parseAnthropicMessagesRequest,
  toAnthropicError,
  type AnthropicSseEvent,
} from "./anthropic-inbound.ts";
import { callChat } from "./call.ts";
import { parseChatCompletionRequest } from "./openai-types.ts";
import type { UpstreamTarget } from "./types.ts";

const weatherTool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("Messages request → OpenAI request", () => {
  it("converts system, images, tool_use and tool_result turns, tools and tool_choice", () => {
    const body = parseAnthropicMessagesRequest({
      model: "support-summary",
      max_tokens: 512,
      system: [{ type: "text", text: "You are terse." }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather in Paris?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "18C" }] },
            { type: "text", text: "Warm?" },
          ],
        },
      ],
      tools: [weatherTool],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      stop_sequences: ["END"],
      temperature: 0.5,
      metadata: { user_id: "u-1" },
      stream: true,
    });
    const req = anthropicToOpenAIRequest(body);
    // The converted request must itself pass the client schema the proxy enforces.
    expect(parseChatCompletionRequest(req)).toEqual(req);
    expect(req).toEqual({
      model: "support-summary",
      max_tokens: 512,
      messages: [
        { role: "system", content: "You are terse." },
        {
          role: "user",
          content: [
            { type: "text", text: "Weather in Paris?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          ],
        },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: "tool", tool_call_id: "toolu_1", content: "18C" },
        { role: "user", content: [{ type: "text", text: "Warm?" }] },
      ],
      temperature: 0.5,
      stop: ["END"],
      user: "u-1",
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        {
          type: "function",
          function: { name: "get_weather", description: "Weather for a city", parameters: weatherTool.input_schema },
        },
      ],
      tool_choice: "required",
      parallel_tool_calls: false,
    });
  });

  it.each([
    [{ top_k: 5 }, "top_k"],
    [{ max_tokens: undefined }, "max_tokens"],
    [{ temperature: 1.5 }, "temperature"],
    [{ thinking: { type: "enabled", budget_tokens: 1024 } }, "thinking"],
  ])("refuses %j naming the field", (extra, param) => {
    try {
      parseAnthropicMessagesRequest({
        model: "m",
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
        ...extra,
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).param).toBe(param);
    }
  });
});

describe("OpenAI completion → Messages response", () => {
  it("maps text, tool calls, stop reason and usage with cache reads apart", () => {
    const msg = openAIToAnthropicResponse({
      id: "chatcmpl-abc",
      object: "chat.completion",
      created: 1,
      model: "support-summary",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Let me look.",
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            ],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: {
        prompt_tokens: 120,
        completion_tokens: 30,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 100 },
      },
    });
    expect(msg).toEqual({
      id: "msg_abc",
      type: "message",
      role: "assistant",
      model: "support-summary",
      content: [
        { type: "text", text: "Let me look." },
        { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 30, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 },
    });
  });
});

describe("OpenAI chunks → Anthropic stream", () => {
  let mock: MockProvider;
  beforeAll(async () => {
    mock = await startMockProvider();
  });
  afterAll(async () => {
    await mock.close();
  });

  async function sdkFinalMessage(events: AnthropicSseEvent[]) {
    const stream = MessageStream.fromReadableStream(
      new ReadableStream({
        start(c) {
          for (const ev of events) c.enqueue(new TextEncoder().encode(`${JSON.stringify(ev.data)}\n`));
          c.close();
        },
      }),
    );
    return stream.finalMessage();
  }

  it.each(["gemini", "openai"] as const)(
    "gives the Anthropic SDK whole tool_use blocks and usage from a %s upstream",
    async (kind) => {
      const target: UpstreamTarget =
        kind === "gemini"
          ? { kind, baseUrl: `${mock.url}/gemini`, apiKey: "k", authStyle: "bearer", upstreamModel: "gemini-2.5-flash" }
          : { kind, baseUrl: `${mock.url}/openai/v1`, apiKey: "k", authStyle: "bearer", upstreamModel: "gpt-4o-mini" };
      const body = parseAnthropicMessagesRequest({
        model: "support-summary",
        max_tokens: 200,
        stream: true,
        tools: [
          weatherTool,
          { name: "get_time", input_schema: { type: "object", properties: { zone: { type: "string" } } } },
        ],
        messages: [{ role: "user", content: "weather and time [[mock:tool_call=*]]" }],
      });
      const r = await callChat(target, anthropicToOpenAIRequest(body), {
        signal: AbortSignal.timeout(10_000),
        responseModel: "support-summary",
      });
      if (r.kind !== "stream") throw new Error("expected stream");
      const events: AnthropicSseEvent[] = [];
      for await (const ev of openAIChunksToAnthropicEvents(r.chunks, { model: "support-summary" })) events.push(ev);

      expect(events[0]?.event).toBe("message_start");
      expect(events.at(-1)?.event).toBe("message_stop");
      const final = await sdkFinalMessage(events);
      expect(final.stop_reason).toBe("tool_use");
      expect(final.content.map((b) => (b.type === "tool_use" ? [b.name, typeof b.input] : b.type))).toEqual([
        ["get_weather", "object"],
        ["get_time", "object"],
      ]);
      expect(final.usage.output_tokens).toBe(r.usage().outputTokens);
    },
  );

  it("streams text blocks and formats them as SSE", async () => {
    const target: UpstreamTarget = {
      kind: "anthropic",
      baseUrl: `${mock.url}/anthropic`,
      apiKey: "k",
      authStyle: "bearer",
      upstreamModel: "claude",
    };
    const body = parseAnthropicMessagesRequest({
      model: "m",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: "round trip" }],
    });
    const r = await callChat(target, anthropicToOpenAIRequest(body), { signal: AbortSignal.timeout(10_000) });
    if (r.kind !== "stream") throw new Error("expected stream");
    const events: AnthropicSseEvent[] = [];
    for await (const ev of openAIChunksToAnthropicEvents(r.chunks, { model: "m" })) events.push(ev);
    const final = await sdkFinalMessage(events);
    expect(final.content[0]?.type === "text" && final.content[0].text).toContain("round trip");
    expect(final.stop_reason).toBe("end_turn");
    expect(formatAnthropicSse(events[0]!)).toMatch(/^event: message_start\ndata: \{.*\}\n\n$/s);
  });
});

describe("Anthropic error shape", () => {
  it("turns gateway errors into Anthropic error bodies and stream events", () => {
    const err = new GatewayError("rate_limit_exceeded", "slow down", { headers: { "retry-after": "3" } });
    expect(toAnthropicError(err)).toEqual({
      status: 429,
      headers: { "retry-after": "3" },
      body: { type: "error", error: { type: "rate_limit_error", message: "slow down", code: "rate_limit_exceeded" } },
    });
    expect(anthropicErrorEvent(new GatewayError("upstream_error", "all attempts failed")).data).toMatchObject({
      type: "error",
      error: { type: "api_error" },
    });
  });
});
