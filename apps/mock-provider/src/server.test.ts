// The mock over HTTP, per dialect: auth required, realistic shapes, faults from header, marker and admin
// rules, and the request log tests use to count upstream calls.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startMockProvider, type LoggedRequest, type MockProvider } from "./index.ts";

/** The parts of provider payloads these tests read. */
interface OpenAIChat {
  object: string;
  model: string;
  choices: {
    message: { content: string; tool_calls: { function: { name: string; arguments: string } }[] };
    finish_reason: string;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
interface OpenAIChunk {
  choices: { delta?: { content?: string } }[];
  usage: { prompt_tokens: number } | null;
}
interface Listing {
  object: string;
  data: { embedding: number[] }[];
}
interface AnthropicMessage {
  usage: { input_tokens: number };
}
interface GeminiFrame {
  candidates: { finishReason?: string; content: { parts: { text?: string }[] } }[];
  usageMetadata: { candidatesTokenCount: number };
}
interface GeminiEmbedding {
  embedding: { values: number[] };
  embeddings: { values: number[] }[];
}

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(async () => {
  await fetch(`${mock.url}/__mock/requests`, { method: "DELETE" });
  await fetch(`${mock.url}/__mock/faults`, { method: "DELETE" });
});

const openaiHeaders = { authorization: "Bearer sk-secret-value", "content-type": "application/json" };
const chat = (body: unknown, headers: Record<string, string> = openaiHeaders) =>
  fetch(`${mock.url}/openai/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify(body) });
const hi = (text = "hello", extra: Record<string, unknown> = {}) => ({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: text }],
  ...extra,
});

async function logged(): Promise<LoggedRequest[]> {
  const r = await fetch(`${mock.url}/__mock/requests`);
  return ((await r.json()) as { requests: LoggedRequest[] }).requests;
}

function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((b) => b.trim() !== "")
    .map(
      (b) =>
        b
          .split("\n")
          .find((l) => l.startsWith("data: "))
          ?.slice(6) ?? "",
    );
}

describe("auth", () => {
  it("requires each provider's auth header and records only its presence", async () => {
    const none = await chat(hi(), { "content-type": "application/json" });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "invalid_api_key" } });

    const a = await fetch(`${mock.url}/anthropic/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "c", max_tokens: 5, messages: [{ role: "user", content: "x" }] }),
    });
    expect(a.status).toBe(401);
    expect(await a.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });

    const g = await fetch(`${mock.url}/gemini/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "x" }] }] }),
    });
    expect(g.status).toBe(403);
    expect(await g.json()).toMatchObject({ error: { status: "PERMISSION_DENIED" } });

    expect((await chat(hi())).status).toBe(200);
    const log = await logged();
    expect(log.map((r) => r.authPresent)).toEqual([false, false, false, true]);
    expect(JSON.stringify(log)).not.toContain("sk-secret-value");
  });
});

describe("openai dialect", () => {
  it("answers deterministically from the prompt with usage", async () => {
    const body = (await (await chat(hi("Summarise our refund policy"))).json()) as OpenAIChat;
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0]?.message.content).toBe("Mock reply from gpt-4o-mini. You said: Summarise our refund policy");
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it("streams chunks, the usage chunk when asked, and [DONE]", async () => {
    const text = await (await chat(hi("stream me", { stream: true, stream_options: { include_usage: true } }))).text();
    const data = sseData(text);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as OpenAIChunk);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toContain("stream me");
  });

  it("answers JSON that fits a json_schema, and broken JSON under the invalid_json fault", async () => {
    const schema = {
      type: "object",
      properties: { sentiment: { enum: ["positive", "negative"] }, score: { type: "number" } },
      required: ["sentiment"],
    };
    const rf = { response_format: { type: "json_schema", json_schema: { name: "s", schema } } };
    const ok = (await (await chat(hi("rate this", rf))).json()) as OpenAIChat;
    expect(JSON.parse(ok.choices[0]?.message.content ?? "")).toEqual({ sentiment: "positive", score: 1 });
    const bad = (await (await chat(hi("rate this [[mock:invalid_json]]", rf))).json()) as OpenAIChat;
    expect(() => JSON.parse(bad.choices[0]?.message.content ?? "{}")).toThrow();
  });

  it("calls the tool a request forces", async () => {
    const tools = [
      {
        type: "function",
        function: { name: "lookup", parameters: { type: "object", properties: { id: { type: "integer" } } } },
      },
    ];
    const body = (await (await chat(hi("find it", { tools, tool_choice: "required" }))).json()) as OpenAIChat;
    expect(body.choices[0]?.finish_reason).toBe("tool_calls");
    expect(body.choices[0]?.message.tool_calls[0]?.function).toEqual({ name: "lookup", arguments: '{"id":1}' });
  });

  it("lists models and serves embeddings", async () => {
    const models = (await (await fetch(`${mock.url}/openai/v1/models`, { headers: openaiHeaders })).json()) as Listing;
    expect(models.object).toBe("list");
    const emb = (await (
      await fetch(`${mock.url}/openai/v1/embeddings`, {
        method: "POST",
        headers: openaiHeaders,
        body: JSON.stringify({ model: "e", input: ["a b", "a b", "c"], dimensions: 16 }),
      })
    ).json()) as Listing;
    expect(emb.data).toHaveLength(3);
    expect(emb.data[0]?.embedding).toEqual(emb.data[1]?.embedding);
    expect(emb.data[0]?.embedding).not.toEqual(emb.data[2]?.embedding);
  });

  it("serves Azure deployments and requires api-version", async () => {
    const url = `${mock.url}/azure/openai/deployments/prod-4o/chat/completions`;
    const h = { "api-key": "az", "content-type": "application/json" };
    expect((await fetch(url, { method: "POST", headers: h, body: JSON.stringify(hi()) })).status).toBe(404);
    const body = (await (
      await fetch(`${url}?api-version=2024-10-21`, {
        method: "POST",
        headers: h,
        body: JSON.stringify({ messages: [{ role: "user", content: "x" }] }),
      })
    ).json()) as OpenAIChat;
    expect(body.model).toBe("prod-4o");
  });
});

describe("anthropic dialect", () => {
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${mock.url}/anthropic/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("requires max_tokens and answers with content blocks, stop_reason and usage", async () => {
    const bad = await post({ model: "c", messages: [{ role: "user", content: "x" }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const ok = (await (
      await post({ model: "c", max_tokens: 50, system: "s", messages: [{ role: "user", content: "hello" }] })
    ).json()) as AnthropicMessage;
    expect(ok).toMatchObject({
      type: "message",
      role: "assistant",
      stop_reason: "end_turn",
      content: [{ type: "text" }],
    });
    expect(ok.usage.input_tokens).toBeGreaterThan(0);
  });

  it("streams the documented event sequence", async () => {
    const text = await (
      await post({ model: "c", max_tokens: 50, stream: true, messages: [{ role: "user", content: "hello" }] })
    ).text();
    const events = text
      .split("\n\n")
      .filter(Boolean)
      .map((b) => b.split("\n")[0]?.replace("event: ", ""));
    expect(events[0]).toBe("message_start");
    expect(events).toContain("content_block_delta");
    expect(events.slice(-2)).toEqual(["message_delta", "message_stop"]);
  });

  it("answers 529 overloaded with Retry-After from the header fault", async () => {
    const r = await post(
      { model: "c", max_tokens: 5, messages: [{ role: "user", content: "x" }] },
      { "x-mock-fault": "status=529,retry_after=2" },
    );
    expect(r.status).toBe(529);
    expect(r.headers.get("retry-after")).toBe("2");
    expect(await r.json()).toMatchObject({ error: { type: "overloaded_error" } });
  });
});

describe("gemini dialect", () => {
  const h = { "x-goog-api-key": "g", "content-type": "application/json" };
  it("streams with alt=sse and ends with a finishReason and usageMetadata", async () => {
    const r = await fetch(`${mock.url}/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
      method: "POST",
      headers: h,
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hello gemini" }] }] }),
    });
    const frames = sseData(await r.text()).map((d) => JSON.parse(d) as GeminiFrame);
    const last = frames.at(-1)!;
    expect(last.candidates[0]?.finishReason).toBe("STOP");
    expect(last.usageMetadata.candidatesTokenCount).toBeGreaterThan(0);
    expect(frames.map((f) => f.candidates[0]?.content.parts[0]?.text).join("")).toContain("hello gemini");
  });

  it("embeds one text or a batch", async () => {
    const one = (await (
      await fetch(`${mock.url}/gemini/v1beta/models/gemini-embedding-001:embedContent`, {
        method: "POST",
        headers: h,
        body: JSON.stringify({ content: { parts: [{ text: "hi" }] }, outputDimensionality: 8 }),
      })
    ).json()) as GeminiEmbedding;
    expect(one.embedding.values).toHaveLength(8);
    const batch = (await (
      await fetch(`${mock.url}/gemini/v1beta/models/gemini-embedding-001:batchEmbedContents`, {
        method: "POST",
        headers: h,
        body: JSON.stringify({
          requests: [
            { model: "models/gemini-embedding-001", content: { parts: [{ text: "hi" }] }, outputDimensionality: 8 },
          ],
        }),
      })
    ).json()) as GeminiEmbedding;
    expect(batch.embeddings[0]?.values).toEqual(one.embedding.values);
  });
});

describe("faults", () => {
  it("applies admin rules for `times` matching requests, then stops", async () => {
    const add = await fetch(`${mock.url}/__mock/faults`, {
      method: "POST",
      body: JSON.stringify({ match: { model: "flaky" }, fault: { status: 503 }, times: 2 }),
    });
    expect(add.status).toBe(201);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await chat({ ...hi(), model: "flaky" })).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect((await chat(hi())).status).toBe(200);
    const log = await logged();
    expect(log.map((r) => [r.model, r.status])).toEqual([
      ["flaky", 503],
      ["flaky", 503],
      ["flaky", 200],
      ["gpt-4o-mini", 200],
    ]);
  });

  it("refuses an invalid admin rule", async () => {
    const r = await fetch(`${mock.url}/__mock/faults`, {
      method: "POST",
      body: JSON.stringify({ fault: { status: "soon" } }),
    });
    expect(r.status).toBe(400);
  });

  it("sends Retry-After and retry-after-ms with a 429 from a marker", async () => {
    const r = await chat(hi("[[mock:status=429,retry_after=1,retry_after_ms=750]]"));
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("1");
    expect(r.headers.get("retry-after-ms")).toBe("750");
  });

  it("cuts a stream mid-way so the client sees an error, not an end", async () => {
    const r = await chat(hi("cut me please [[mock:cut_after=2]]", { stream: true }));
    await expect(r.text()).rejects.toThrow();
  });

  it("refuses a malformed fault header with a 400", async () => {
    const r = await chat(hi(), { ...openaiHeaders, "x-mock-fault": "status=abc" });
    expect(r.status).toBe(400);
  });

  it("omits usage under no_usage", async () => {
    const body = (await (await chat(hi("[[mock:no_usage]]"))).json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty("usage");
  });

  it("waits delay_ms before answering", async () => {
    const r = await chat(hi("[[mock:delay_ms=30]]"));
    expect(r.status).toBe(200);
    expect((await logged())[0]?.fault).toEqual({ delay_ms: 30 });
  });
});
