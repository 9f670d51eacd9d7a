// The OpenAI dialect (also served Azure-style): chat completions with tools, JSON modes and streaming with
// stream_options.include_usage, embeddings and the model list.
import type { IncomingMessage, ServerResponse } from "node:http";
import { chunkText, embed, estimateTokens, type MockPrompt } from "./answers.ts";
import { asArray, asRecord, BadRequest, type ChatCall, type Dialect } from "./dialect.ts";
import { sendJson, sse, writeStream } from "./wire.ts";

function text(content: unknown): string {
  if (typeof content === "string") return content;
  return asArray(content)
    .map((p) => asRecord(p))
    .filter((p) => p.type === "text")
    .map((p) => String(p.text ?? ""))
    .join("");
}

const ERROR_TYPES: Record<number, { type: string; code: string | null }> = {
  400: { type: "invalid_request_error", code: null },
  401: { type: "invalid_request_error", code: "invalid_api_key" },
  403: { type: "invalid_request_error", code: "unsupported_country_region_territory" },
  404: { type: "invalid_request_error", code: "model_not_found" },
  408: { type: "timeout", code: null },
  429: { type: "requests", code: "rate_limit_exceeded" },
};

export function openAIErrorBody(status: number, message: string) {
  const t = ERROR_TYPES[status] ?? { type: status >= 500 ? "server_error" : "invalid_request_error", code: null };
  return { error: { message, type: t.type, param: null, code: t.code } };
}

function usageOf(call: ChatCall) {
  const cached = Math.min(call.fault?.cached_tokens ?? 0, call.answer.inputTokens);
  const n = Math.max(1, Number(call.body.n ?? 1));
  return {
    prompt_tokens: call.answer.inputTokens,
    completion_tokens: call.answer.outputTokens * n,
    total_tokens: call.answer.inputTokens + call.answer.outputTokens * n,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export function createOpenAIDialect(provider: "openai" | "azure"): Dialect {
  return {
    provider,

    authPresent(req: IncomingMessage) {
      if (provider === "azure")
        return typeof req.headers["api-key"] === "string" && req.headers["api-key"].trim() !== "";
      const auth = req.headers.authorization ?? "";
      return /^Bearer\s+\S+/.test(auth);
    },

    error(res: ServerResponse, status, message, headers = {}) {
      sendJson(res, status, openAIErrorBody(status, message), { "x-request-id": `req_mock_${Date.now()}`, ...headers });
    },

    streamError(message) {
      return sse({ error: { message, type: "server_error", param: null, code: null } });
    },

    lastUserRaw(body) {
      const msgs = asArray(body.messages).map(asRecord);
      const last = [...msgs].reverse().find((m) => m.role === "user");
      return last ? text(last.content) : "";
    },

    prompt(body, model): MockPrompt {
      const messages = asArray(body.messages).map(asRecord);
      if (messages.length === 0) throw new BadRequest("'messages' must be a non-empty array");
      const tools = asArray(body.tools).map((t) => {
        const fn = asRecord(asRecord(t).function);
        if (typeof fn.name !== "string") throw new BadRequest("tools[].function.name is required");
        return { name: fn.name, parameters: fn.parameters };
      });
      const choice = body.tool_choice;
      const forcedTool =
        choice === "required"
          ? "any"
          : typeof choice === "object" && choice
            ? String(asRecord(asRecord(choice).function).name ?? "") || null
            : null;
      const rf = asRecord(body.response_format);
      const json =
        rf.type === "json_object"
          ? { schema: null }
          : rf.type === "json_schema"
            ? { schema: asRecord(rf.json_schema).schema ?? null }
            : null;
      const last = messages[messages.length - 1];
      const maxTokens = body.max_completion_tokens ?? body.max_tokens;
      return {
        model,
        allText: [
          ...messages.map(
            (m) => `${String(m.role)} ${text(m.content)} ${m.tool_calls ? JSON.stringify(m.tool_calls) : ""}`,
          ),
          body.tools ? JSON.stringify(body.tools) : "",
        ].join("\n"),
        messageCount: messages.length,
        lastUserText: last?.role === "tool" ? text(last.content) : this.lastUserRaw(body),
        lastIsToolResult: last?.role === "tool",
        systemText: messages
          .filter((m) => m.role === "system" || m.role === "developer")
          .map((m) => text(m.content))
          .join("\n"),
        tools,
        forcedTool: choice === "none" ? null : forcedTool,
        json,
        maxTokens: typeof maxTokens === "number" ? maxTokens : null,
      };
    },

    async respond(call) {
      const { res, answer, fault } = call;
      const id = `chatcmpl-mock${call.seq}`;
      const created = Math.floor(Date.now() / 1000);
      const n = Math.max(1, Number(call.body.n ?? 1));
      const toolCalls = answer.toolCalls.map((t) => ({
        id: t.id,
        type: "function" as const,
        function: { name: t.name, arguments: JSON.stringify(t.args) },
      }));
      const model = provider === "azure" ? call.model : call.model;

      if (!call.stream) {
        const body: Record<string, unknown> = {
          id,
          object: "chat.completion",
          created,
          model,
          choices: Array.from({ length: n }, (_, index) => ({
            index,
            message: {
              role: "assistant",
              content: toolCalls.length > 0 ? null : answer.text,
              refusal: null,
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
              annotations: [],
            },
            logprobs: null,
            finish_reason: answer.finish,
          })),
          service_tier: "default",
          system_fingerprint: "fp_mock",
        };
        if (!fault?.no_usage) body.usage = usageOf(call);
        sendJson(res, 200, body, { "x-request-id": `req_mock${call.seq}` });
        return;
      }

      const size = fault?.chunk_size ?? 8;
      const base = {
        id,
        object: "chat.completion.chunk",
        created,
        model,
        service_tier: "default",
        system_fingerprint: "fp_mock",
      };
      const includeUsage = asRecord(call.body.stream_options).include_usage === true && !fault?.no_usage;
      const events: string[] = [];
      const chunk = (index: number, delta: unknown, finish: string | null = null) =>
        sse({
          ...base,
          choices: [{ index, delta, logprobs: null, finish_reason: finish }],
          ...(includeUsage ? { usage: null } : {}),
        });
      for (let c = 0; c < n; c++) {
        events.push(chunk(c, { role: "assistant", content: toolCalls.length > 0 ? null : "", refusal: null }));
        if (toolCalls.length > 0) {
          toolCalls.forEach((tc, i) => {
            events.push(
              chunk(c, {
                tool_calls: [
                  { index: i, id: tc.id, type: "function", function: { name: tc.function.name, arguments: "" } },
                ],
              }),
            );
            for (const piece of chunkText(tc.function.arguments, size)) {
              events.push(chunk(c, { tool_calls: [{ index: i, function: { arguments: piece } }] }));
            }
          });
        } else {
          for (const piece of chunkText(answer.text, size)) events.push(chunk(c, { content: piece }));
        }
        events.push(chunk(c, {}, answer.finish));
      }
      if (includeUsage) events.push(sse({ ...base, choices: [], usage: usageOf(call) }));
      events.push(sse("[DONE]"));
      await writeStream(res, events, fault, this.streamError("The server had an error while processing your request."));
    },
  };
}

export function embeddingsResponse(body: Record<string, unknown>, model: string) {
  const input = body.input;
  const texts: string[] =
    typeof input === "string"
      ? [input]
      : asArray(input).map((i) => (typeof i === "string" ? i : Array.isArray(i) ? i.join(" ") : String(i)));
  if (texts.length === 0) throw new BadRequest("'input' must be a string or a non-empty array");
  const dims = typeof body.dimensions === "number" && body.dimensions > 0 ? Math.min(body.dimensions, 4096) : 256;
  const tokens = texts.reduce((n, t) => n + estimateTokens(t), 0);
  return {
    object: "list",
    data: texts.map((t, index) => ({ object: "embedding", index, embedding: embed(t, dims) })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

export const MOCK_MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "text-embedding-3-small", "text-embedding-3-large"];
