// callChat / callEmbeddings end to end against the loopback mock provider, for every provider kind: usage
// always known, streams well-formed for the official SDK accumulators, faults classified for the retry policy.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChatCompletionStream } from "openai/lib/ChatCompletionStream";
import { GatewayError } from "@gateway/policy/errors";
import { startMockProvider, type MockProvider } from "@gateway/mock-provider";
import { callChat, callEmbeddings } from "./call.ts";
import type { ChatCompletionChunk, ChatCompletionRequest, FunctionTool } from "./openai-types.ts";
import { UpstreamError, type UpstreamTarget } from "./types.ts";

let mock: MockProvider;

beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => {
  mock.resetRequests();
  mock.clearFaults();
});

function targets(): Record<string, UpstreamTarget> {
  return {
    openai: {
      kind: "openai",
      baseUrl: `${mock.url}/openai/v1`,
      apiKey: "sk-mock",
      authStyle: "bearer",
      upstreamModel: "gpt-4o-mini",
    },
    azure: {
      kind: "openai_compatible",
      baseUrl: `${mock.url}/azure`,
      apiKey: "az-mock",
      authStyle: "api-key",
      apiVersion: "2024-10-21",
      upstreamModel: "gpt4o-deployment",
    },
    anthropic: {
      kind: "anthropic",
      baseUrl: `${mock.url}/anthropic`,
      apiKey: "sk-ant-mock",
      authStyle: "bearer",
      upstreamModel: "claude-sonnet-4-5",
    },
    gemini: {
      kind: "gemini",
      baseUrl: `${mock.url}/gemini`,
      apiKey: "AIza-mock",
      authStyle: "bearer",
      upstreamModel: "gemini-2.5-flash",
    },
  };
}
const kinds = ["openai", "azure", "anthropic", "gemini"] as const;
const target = (k: (typeof kinds)[number]) => targets()[k]!;

const signal = () => AbortSignal.timeout(10_000);
const ask = (text: string, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: "route",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: text },
  ],
  ...extra,
});
const weatherTools: FunctionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
  {
    type: "function",
    function: { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string" } } } },
  },
];

async function drain(chunks: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

async function failureOf(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UpstreamError) return err;
    throw err;
  }
  throw new Error("expected an UpstreamError");
}

describe.each(kinds)("callChat via %s", (kind) => {
  it("returns a completion with the provider's usage and the response model name", async () => {
    const r = await callChat(target(kind), ask("Summarise the quarterly report"), {
      signal: signal(),
      responseModel: "support-summary",
    });
    if (r.kind !== "json") throw new Error("expected json");
    expect(r.completion.model).toBe("support-summary");
    expect(r.completion.choices[0]?.message.content).toContain("Summarise the quarterly report");
    expect(r.completion.choices[0]?.finish_reason).toBe("stop");
    expect(r.usage.estimated).toBe(false);
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.completion.usage?.total_tokens).toBe(r.usage.inputTokens + r.usage.outputTokens);
    const [logged] = mock.requests();
    expect(logged?.authPresent).toBe(true);
    expect(JSON.stringify(logged)).not.toContain('mock"'); // the key value is never recorded
  });

  it("streams without a usage chunk when the client did not ask, yet knows the usage", async () => {
    const r = await callChat(target(kind), ask("hello stream", { stream: true }), { signal: signal() });
    if (r.kind !== "stream") throw new Error("expected stream");
    const chunks = await drain(r.chunks);
    expect(chunks.every((c) => c.choices.length > 0 && c.usage === undefined)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toContain("hello stream");
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(r.usage()).toMatchObject({ estimated: false });
    expect(r.usage().outputTokens).toBeGreaterThan(0);
    if (kind === "openai" || kind === "azure") {
      expect(mock.requests()[0]?.body).toMatchObject({ stream_options: { include_usage: true } });
    }
  });

  it("ends with exactly one usage chunk when the client asked for it", async () => {
    const r = await callChat(target(kind), ask("count me", { stream: true, stream_options: { include_usage: true } }), {
      signal: signal(),
    });
    if (r.kind !== "stream") throw new Error("expected stream");
    const chunks = await drain(r.chunks);
    const withUsage = chunks.filter((c) => c.usage);
    expect(withUsage).toHaveLength(1);
    expect(chunks.at(-1)).toBe(withUsage[0]);
    expect(withUsage[0]?.choices).toEqual([]);
    expect(withUsage[0]?.usage?.prompt_tokens).toBe(r.usage().inputTokens);
  });

  it("streams parallel tool calls that the OpenAI SDK accumulates into whole calls", async () => {
    const forced = await callChat(
      target(kind),
      ask("weather and time please [[mock:tool_call=*]]", { stream: true, tools: weatherTools }),
      {
        signal: signal(),
      },
    );
    if (forced.kind !== "stream") throw new Error("expected stream");
    const forcedChunks = await drain(forced.chunks);
    // fromReadableStream reads newline-delimited chunks and runs the SDK's own delta accumulation.
    const sdkStream = ChatCompletionStream.fromReadableStream(
      new ReadableStream({
        start(c) {
          for (const ch of forcedChunks) c.enqueue(new TextEncoder().encode(`${JSON.stringify(ch)}\n`));
          c.close();
        },
      }),
    );
    const final = await sdkStream.finalChatCompletion();
    const msg = final.choices[0]?.message;
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(msg?.tool_calls?.map((t) => (t.type === "function" ? t.function.name : ""))).toEqual([
      "get_weather",
      "get_time",
    ]);
    for (const t of msg?.tool_calls ?? []) {
      expect(t.id).toBeTruthy();
      if (t.type === "function") expect(JSON.parse(t.function.arguments)).toEqual(expect.any(Object));
    }
  });

  it("estimates usage with the tokenizer when the provider reports none", async () => {
    const r = await callChat(target(kind), ask("no usage here [[mock:no_usage]]"), { signal: signal() });
    if (r.kind !== "json") throw new Error("expected json");
    expect(r.usage.estimated).toBe(true);
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    expect(r.completion.usage?.prompt_tokens).toBe(r.usage.inputTokens);

    const s = await callChat(
      target(kind),
      ask("no usage stream [[mock:no_usage]]", { stream: true, stream_options: { include_usage: true } }),
      {
        signal: signal(),
      },
    );
    if (s.kind !== "stream") throw new Error("expected stream");
    const chunks = await drain(s.chunks);
    expect(s.usage().estimated).toBe(true);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(s.usage().outputTokens);
  });

  it("throws connection_error from the iterator when the stream is cut, and still estimates usage", async () => {
    const r = await callChat(
      target(kind),
      ask("a long answer that will be cut [[mock:cut_after=5,chunk_size=4]]", { stream: true }),
      {
        signal: signal(),
      },
    );
    if (r.kind !== "stream") throw new Error("expected stream");
    const received: ChatCompletionChunk[] = [];
    const err = await failureOf(
      (async () => {
        for await (const c of r.chunks) received.push(c);
      })(),
    );
    expect(err.failure).toBe("connection_error");
    expect(received.length).toBeGreaterThan(0);
    expect(r.usage()).toMatchObject({ estimated: true });
    expect(r.usage().inputTokens).toBeGreaterThan(0);
  });

  it("throws the provider's in-stream error event as an upstream failure", async () => {
    const r = await callChat(target(kind), ask("oops [[mock:stream_error,cut_after=2]]", { stream: true }), {
      signal: signal(),
    });
    if (r.kind !== "stream") throw new Error("expected stream");
    const err = await failureOf(drain(r.chunks));
    expect(err.failure).toBe("server_error");
  });

  it("maps 429 with Retry-After to rate_limited", async () => {
    const err = await failureOf(callChat(target(kind), ask("[[mock:status=429,retry_after=3]]"), { signal: signal() }));
    expect(err).toMatchObject({ failure: "rate_limited", status: 429, retryAfterMs: 3000 });
  });

  it("maps 5xx to server_error", async () => {
    const err = await failureOf(callChat(target(kind), ask("[[mock:status=503]]"), { signal: signal() }));
    expect(err).toMatchObject({ failure: "server_error", status: 503 });
  });

  it("times out when the first token is slower than the TTFT limit", async () => {
    const err = await failureOf(
      (async () => {
        const r = await callChat(target(kind), ask("slow [[mock:first_token_delay_ms=5000]]", { stream: true }), {
          signal: signal(),
          ttftTimeoutMs: 50,
        });
        if (r.kind === "stream") await drain(r.chunks);
      })(),
    );
    expect(err.failure).toBe("timeout");
    expect(err.aborted).toBe(false);
  });
});

describe("callChat outside the happy path", () => {
  it("times out a non-streaming call whose response does not start within the TTFT limit", async () => {
    const err = await failureOf(
      callChat(target("openai"), ask("[[mock:delay_ms=5000]]"), { signal: signal(), ttftTimeoutMs: 50 }),
    );
    expect(err.failure).toBe("timeout");
  });

  it("reports the caller's abort as aborted, and a total-timeout signal as a timeout", async () => {
    const ac = new AbortController();
    const p = callChat(target("anthropic"), ask("[[mock:delay_ms=5000]]"), { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    expect(await failureOf(p)).toMatchObject({ failure: "connection_error", aborted: true });

    const t = await failureOf(
      callChat(target("gemini"), ask("[[mock:delay_ms=5000]]"), { signal: AbortSignal.timeout(30) }),
    );
    expect(t).toMatchObject({ failure: "timeout", aborted: true });
  });

  it("stops the upstream stream when the consumer leaves early", async () => {
    const r = await callChat(
      target("openai"),
      ask("leave early please, this is long text [[mock:chunk_size=2,chunk_delay_ms=20]]", { stream: true }),
      {
        signal: signal(),
      },
    );
    if (r.kind !== "stream") throw new Error("expected stream");
    for await (const c of r.chunks) {
      void c;
      break;
    }
    expect(r.usage().estimated).toBe(true);
  });

  it("rejects what the provider cannot carry before any upstream call", async () => {
    await expect(callChat(target("anthropic"), ask("hi", { n: 2 }), { signal: signal() })).rejects.toBeInstanceOf(
      GatewayError,
    );
    expect(mock.requests()).toHaveLength(0);
  });

  it("maps a refused connection to connection_error", async () => {
    const closed = await startMockProvider();
    await closed.close();
    const err = await failureOf(
      callChat({ ...target("openai"), baseUrl: `${closed.url}/openai/v1` }, ask("hi"), { signal: signal() }),
    );
    expect(err.failure).toBe("connection_error");
  });

  it("forwards a forced tool choice and returns the call", async () => {
    const r = await callChat(
      target("gemini"),
      ask("weather?", { tools: weatherTools, tool_choice: { type: "function", function: { name: "get_time" } } }),
      {
        signal: signal(),
      },
    );
    if (r.kind !== "json") throw new Error("expected json");
    expect(r.completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(r.completion.choices[0]?.message.tool_calls?.[0]?.function.name).toBe("get_time");
  });
});

describe("callEmbeddings", () => {
  it.each(["openai", "azure", "gemini"] as const)("returns vectors and usage via %s", async (kind) => {
    const { response, usage } = await callEmbeddings(
      target(kind),
      { model: "emb", input: ["refund policy", "refund policy"], dimensions: 32 },
      {
        signal: signal(),
      },
    );
    expect(response.data).toHaveLength(2);
    expect(response.data[0]?.embedding).toEqual(response.data[1]?.embedding);
    expect((response.data[0]?.embedding as number[]).length).toBe(32);
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(usage.estimated).toBe(kind === "gemini");
  });
});
