// The official SDKs against the proxy, with upstreams in all three wire formats (OpenAI, Anthropic,
// Gemini, all served by the mock). Assertions go field by field, so an adapter or the proxy dropping a
// field fails here: the mock's answers are deterministic ("Mock reply from <upstream model>. You said: …")
// and its token counts are about four characters a token (estimateTokens).
import Anthropic from "@anthropic-ai/sdk";
import { createPrisma } from "@gateway/db";
import { estimateTokens } from "@gateway/mock-provider/answers";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProxy } from "../src/server.ts";
import { startMock, type Mock } from "./helpers/mock.ts";
import { startTestProxy } from "./helpers/proxy.ts";
import { seedTenant, type SeededTenant } from "./helpers/seed.ts";

const prisma = createPrisma(process.env.DATABASE_URL!);
let mock: Mock;
let proxy: RunningProxy;
let t: SeededTenant;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  mock = await startMock();
  t = await seedTenant(prisma, { mockUrl: mock.url, secretKey: process.env.GATEWAY_SECRET_KEY! });
  proxy = await startTestProxy();
  openai = new OpenAI({ baseURL: proxy.url + "/v1", apiKey: t.key, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: proxy.url, apiKey: t.key, maxRetries: 0 });
});
afterAll(async () => {
  await proxy.close();
  await mock.close();
  await prisma.$disconnect();
});

const FORMATS = [
  { format: "openai", route: "chat", upstream: "gpt-4o-mini", model: "gpt-mock", provider: "mock-openai" },
  { format: "anthropic", route: "chat-anthropic", upstream: "claude-3-5-haiku-latest", model: "claude-mock", provider: "mock-anthropic" },
  { format: "gemini", route: "chat-gemini", upstream: "gemini-2.0-flash", model: "gemini-mock", provider: "mock-gemini" },
] as const;

const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Weather in a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
  {
    type: "function",
    function: {
      name: "get_time",
      description: "Local time in a zone",
      parameters: { type: "object", properties: { tz: { type: "string" }, hours24: { type: "boolean" } }, required: ["tz", "hours24"] },
    },
  },
];

describe.each(FORMATS)("OpenAI SDK → $format upstream", ({ route, upstream, model, provider }) => {
  const expected = `Mock reply from ${upstream}. You said: Say hello`;

  it("chat completion: every field, and the gateway headers", async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: route, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello" }] })
      .withResponse();
    expect(data.id).toMatch(/\S+/);
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe(route);
    expect(Number.isInteger(data.created)).toBe(true);
    expect(data.choices).toHaveLength(1);
    const choice = data.choices[0]!;
    expect(choice.index).toBe(0);
    expect(choice.finish_reason).toBe("stop");
    expect(choice.message.role).toBe("assistant");
    expect(choice.message.content).toBe(expected);
    expect(choice.message.tool_calls ?? []).toEqual([]);
    expect(data.usage!.completion_tokens).toBe(estimateTokens(expected));
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);

    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    expect(response.headers.get("x-gateway-route")).toBe(route);
    expect(response.headers.get("x-gateway-model")).toBe(model);
    expect(response.headers.get("x-gateway-provider")).toBe(provider);
    expect(response.headers.get("x-gateway-attempts")).toBe("1");
    expect(response.headers.get("x-gateway-fallback")).toBe("false");
    expect(Number(response.headers.get("x-gateway-cost-usd"))).toBeGreaterThan(0);

    await proxy.flushLogs();
    const row = await prisma.requestLog.findFirstOrThrow({ where: { id: response.headers.get("x-request-id")! } });
    expect(row).toMatchObject({
      tenantId: t.tenantId,
      apiKeyId: t.keyId,
      endpoint: "chat",
      routeName: route,
      requestedModel: route,
      finalModel: model,
      provider,
      status: "success",
      httpStatus: 200,
      inputTokens: data.usage!.prompt_tokens,
      outputTokens: data.usage!.completion_tokens,
      stream: false,
    });
  });

  it("streaming with include_usage: same text, one finish, a final usage chunk, [DONE]", async () => {
    const stream = await openai.chat.completions.create({
      model: route,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Say hello" }],
    });
    let text = "";
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined = null;
    let chunks = 0;
    let role: string | undefined;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.model).toBe(route);
      if (chunk.usage) {
        expect(chunk.choices).toEqual([]);
        usage = chunk.usage;
        continue;
      }
      const c = chunk.choices[0]!;
      role ??= c.delta.role;
      text += c.delta.content ?? "";
      if (c.finish_reason) finishes.push(c.finish_reason);
    }
    expect(chunks).toBeGreaterThan(2);
    expect(role).toBe("assistant");
    expect(text).toBe(expected);
    expect(finishes).toEqual(["stop"]);
    expect(usage!.completion_tokens).toBe(estimateTokens(expected));
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);
  });

  it("parallel tool calls, JSON and streamed", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris and the time there [[mock:tool_call=*]]" }];
    const r = await openai.chat.completions.create({ model: route, messages, tools, tool_choice: "auto" });
    const choice = r.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const calls = choice.message.tool_calls!;
    expect(calls.map((c) => c.type === "function" && c.function.name)).toEqual(["get_weather", "get_time"]);
    for (const c of calls) {
      expect(c.id).toMatch(/\S+/);
      expect(c.type).toBe("function");
    }
    const [weather, time] = calls.map((c) => (c.type === "function" ? JSON.parse(c.function.arguments) : null));
    expect(typeof weather.city).toBe("string");
    expect(typeof time.tz).toBe("string");
    expect(time.hours24).toBe(true);

    const stream = await openai.chat.completions.create({ model: route, messages, tools, stream: true });
    const assembled = new Map<number, { id: string; name: string; args: string }>();
    let finish: string | null = null;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      if (!c) continue;
      for (const tc of c.delta.tool_calls ?? []) {
        const cur = assembled.get(tc.index) ?? { id: "", name: "", args: "" };
        cur.id += tc.id ?? "";
        cur.name += tc.function?.name ?? "";
        cur.args += tc.function?.arguments ?? "";
        assembled.set(tc.index, cur);
      }
      finish = c.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect([...assembled.values()].map((c) => c.name)).toEqual(["get_weather", "get_time"]);
    expect(JSON.parse([...assembled.values()][0]!.args)).toEqual(weather);

    // The tool results go back in and the conversation continues (without the marker that forced the calls).
    const follow = await openai.chat.completions.create({
      model: route,
      tools,
      messages: [
        { role: "user", content: "Weather in Paris and the time there" },
        choice.message,
        ...calls.map((c) => ({ role: "tool" as const, tool_call_id: c.id, content: "sunny" })),
      ],
    });
    expect(follow.choices[0]!.message.content).toContain("The tool returned");
  });

  it("response_format json_schema: the content is JSON that fits the schema", async () => {
    const r = await openai.chat.completions.create({
      model: route,
      messages: [{ role: "user", content: "Give me a city" }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "city",
          strict: true,
          schema: { type: "object", properties: { name: { type: "string" }, population: { type: "integer" } }, required: ["name", "population"], additionalProperties: false },
        },
      },
    });
    const parsed = JSON.parse(r.choices[0]!.message.content!);
    expect(typeof parsed.name).toBe("string");
    expect(Number.isInteger(parsed.population)).toBe(true);
  });
});

describe("OpenAI SDK: embeddings and models", () => {
  it.each([
    ["embed", "openai"],
    ["embed-gemini", "gemini"],
  ])("embeddings through %s (%s upstream)", async (route) => {
    const { data, response } = await openai.embeddings
      .create({ model: route, input: ["first text", "second text"], encoding_format: "float" })
      .withResponse();
    expect(data.object).toBe("list");
    expect(data.model).toBe(route);
    expect(data.data).toHaveLength(2);
    data.data.forEach((e, i) => {
      expect(e.object).toBe("embedding");
      expect(e.index).toBe(i);
      expect(e.embedding.length).toBeGreaterThan(0);
      expect(e.embedding.every((x) => typeof x === "number")).toBe(true);
    });
    expect(data.data[0]!.embedding).not.toEqual(data.data[1]!.embedding);
    expect(data.usage.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get("x-gateway-route")).toBe(route);
    expect(response.headers.get("x-gateway-attempts")).toBe("1");
  });

  it("models.list gives the routes and models of the key", async () => {
    const ids: string[] = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(["chat", "chat-anthropic", "chat-gemini", "embed", "gpt-mock"]));
    const one = await openai.models.retrieve("chat-gemini");
    expect(one).toMatchObject({ id: "chat-gemini", object: "model" });
    await expect(openai.models.retrieve("nope")).rejects.toMatchObject({ status: 404 });
  });

  it("errors arrive as the SDK's typed errors", async () => {
    await expect(openai.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
      param: "model",
    });
    const bad = new OpenAI({ baseURL: proxy.url + "/v1", apiKey: "gw_wrong", maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe.each(FORMATS)("Anthropic SDK /v1/messages → $format upstream", ({ route, upstream }) => {
  const expected = `Mock reply from ${upstream}. You said: Say hello`;

  it("messages.create: a Messages response, every field", async () => {
    const msg = await anthropic.messages.create({ model: route, max_tokens: 200, system: "Be brief.", messages: [{ role: "user", content: "Say hello" }] });
    expect(msg.type).toBe("message");
    expect(msg.role).toBe("assistant");
    expect(msg.id).toMatch(/^msg_/);
    expect(msg.model).toBe(route);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.content).toEqual([{ type: "text", text: expected }]);
    expect(msg.usage.output_tokens).toBe(estimateTokens(expected));
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
  });

  it("messages.stream: the event sequence assembles into the same message", async () => {
    const stream = anthropic.messages.stream({ model: route, max_tokens: 200, messages: [{ role: "user", content: "Say hello" }] });
    const events: string[] = [];
    stream.on("streamEvent", (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: "text", text: expected }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBe(estimateTokens(expected));
    expect(events[0]).toBe("message_start");
    expect(events.at(-1)).toBe("message_stop");
    expect(events).toContain("content_block_delta");
  });

  it("tool use through /v1/messages", async () => {
    const msg = await anthropic.messages.create({
      model: route,
      max_tokens: 200,
      tools: [{ name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }],
      tool_choice: { type: "any" },
      messages: [{ role: "user", content: "Weather in Oslo?" }],
    });
    expect(msg.stop_reason).toBe("tool_use");
    const use = msg.content.find((b) => b.type === "tool_use");
    expect(use).toMatchObject({ type: "tool_use", name: "get_weather" });
    expect(typeof (use as { input: { city: unknown } }).input.city).toBe("string");
  });
});

describe("/v1/messages streams that break", () => {
  it("end with an Anthropic error event after the first byte, logged as a mid-stream failure", async () => {
    const res = await fetch(proxy.url + "/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": t.key, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: "chat",
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "a long story [[mock:cut_after=3,chunk_size=4,chunk_delay_ms=30]]" }],
      }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const events = [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe("message_start");
    expect(events.at(-1)).toBe("error");
    expect(events).not.toContain("message_stop");
    const last = JSON.parse(text.trim().split("\n").at(-1)!.replace(/^data: /, ""));
    expect(last).toMatchObject({ type: "error", error: { type: "api_error" } });
    await proxy.flushLogs();
    const row = await prisma.requestLog.findFirstOrThrow({ where: { id: res.headers.get("x-request-id")! } });
    expect(row).toMatchObject({ endpoint: "messages", midStreamFailure: true, stream: true, status: "error" });
  });
});

describe("Anthropic SDK errors", () => {
  it("errors arrive in Anthropic's shape", async () => {
    await expect(anthropic.messages.create({ model: "nope", max_tokens: 10, messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 404,
      error: { type: "error", error: { type: "not_found_error" } },
    });
    await expect(
      anthropic.messages.create({ model: "chat", max_tokens: -1, messages: [{ role: "user", content: "x" }] } as never),
    ).rejects.toMatchObject({ status: 400, error: { type: "error", error: { type: "invalid_request_error", param: "max_tokens" } } });
  });
});
