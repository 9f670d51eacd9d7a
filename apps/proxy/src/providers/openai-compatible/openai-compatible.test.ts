// Contract: OpenAI-format servers at a base URL, bearer style (vLLM, Groq, ...) and Azure OpenAI style.
import { describe, expect, it } from "vitest";
import { assemble, loadFixture, transformRecordedStream } from "../contract-harness.ts";
import type { ChatCompletionRequest } from "../openai-types.ts";
import type { UpstreamTarget } from "../types.ts";
import { openAICompatibleAdapter } from "./adapter.ts";

const req: ChatCompletionRequest = { model: "route", messages: [{ role: "user", content: "hi" }], stream: true };

describe("openai-compatible", () => {
  it("calls {base}/chat/completions with a bearer key and the upstream model", () => {
    const t: UpstreamTarget = {
      kind: "openai_compatible",
      baseUrl: "https://api.groq.com/openai/v1",
      apiKey: "gsk_x",
      authStyle: "bearer",
      upstreamModel: "llama-3.3-70b-versatile",
    };
    const r = openAICompatibleAdapter.buildChatRequest(t, req);
    expect(r.url).toBe("https://api.groq.com/openai/v1/chat/completions");
    expect(r.headers.authorization).toBe("Bearer gsk_x");
    expect(r.body).toMatchObject({
      model: "llama-3.3-70b-versatile",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("calls Azure deployments with the api-key header, api-version and no model in the body", () => {
    const t: UpstreamTarget = {
      kind: "openai_compatible",
      baseUrl: "https://myres.openai.azure.com/",
      apiKey: "azkey",
      authStyle: "api-key",
      apiVersion: "2024-10-21",
      upstreamModel: "gpt-4o-prod",
    };
    const r = openAICompatibleAdapter.buildChatRequest(t, req);
    expect(r.url).toBe(
      "https://myres.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
    );
    expect(r.headers["api-key"]).toBe("azkey");
    expect(r.headers).not.toHaveProperty("authorization");
    expect(r.body).not.toHaveProperty("model");
    const e = openAICompatibleAdapter.buildEmbeddingsRequest(t, { model: "emb", input: "x" });
    expect(e.url).toBe(
      "https://myres.openai.azure.com/openai/deployments/gpt-4o-prod/embeddings?api-version=2024-10-21",
    );
  });

  it("reads an Azure stream with its prompt-filter preamble and content-filter fields", async () => {
    const { chunks, transform } = await transformRecordedStream(
      openAICompatibleAdapter,
      loadFixture("openai-compatible", "azure-stream.sse"),
      req,
    );
    expect(assemble(chunks)).toMatchObject({ content: "Hi", finishReason: "stop" });
    expect(transform.finished).toBe(true);
    expect(transform.usage()).toEqual({ inputTokens: 8, outputTokens: 1, cachedTokens: 0, estimated: false });
  });

  it("maps Azure's 429 (numeric-string code) with its Retry-After", () => {
    const err = openAICompatibleAdapter.mapError(429, loadFixture("openai-compatible", "azure-error-429.json"), {
      "retry-after": "6",
    });
    expect(err).toMatchObject({ failure: "rate_limited", retryAfterMs: 6000, providerCode: "429" });
  });

  it("accepts servers that leave out choice and tool-call indexes", async () => {
    const sse = [
      {
        id: "c1",
        choices: [
          {
            delta: {
              role: "assistant",
              tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: "" } }],
            },
          },
        ],
      },
      { id: "c1", choices: [{ delta: { tool_calls: [{ function: { arguments: '{"a":1}' } }] } }] },
      { id: "c1", choices: [{ delta: {}, finish_reason: "tool_calls" }] },
    ]
      .map((c) => `data: ${JSON.stringify(c)}\n\n`)
      .concat("data: [DONE]\n\n")
      .join("");
    const { chunks } = await transformRecordedStream(openAICompatibleAdapter, sse, req);
    expect(assemble(chunks)).toMatchObject({
      finishReason: "tool_calls",
      toolCalls: [{ id: "t1", name: "f", arguments: '{"a":1}' }],
    });
  });
});
