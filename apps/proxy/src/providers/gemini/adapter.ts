// Gemini generateContent / streamGenerateContent?alt=sse ⇄ OpenAI Chat Completions. Roles become
// user/model, system messages systemInstruction, tools functionDeclarations, tool calls functionCall parts
// (Gemini gives them no ids, so the gateway mints them) and tool results functionResponse parts.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { invalidRequest } from "@gateway/policy/errors";
import {
  contentText,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type EmbeddingsResponse,
  type FinishReason,
  type ToolCall,
} from "../openai-types.ts";
import { joinUrl } from "../openai/adapter.ts";
import {
  UpstreamError,
  type ChunkContext,
  type ProviderAdapter,
  type StreamTransform,
  type UpstreamHttpRequest,
  type UpstreamTarget,
  type Usage,
} from "../types.ts";
import { httpError, parseRetryAfterMs, safeJson, sanitizeProviderMessage, type HeaderBag } from "../upstream-errors.ts";

type GeminiPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: unknown } }
  | { functionResponse: { name: string; response: unknown } };

interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

const unsupported = (field: string, what = field) => invalidRequest(field, `${what} is not supported by provider gemini`);

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
};

function imagePart(url: string): GeminiPart {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { inlineData: { mimeType: m[1] ?? "image/png", data: m[2] ?? "" } };
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? "";
  return { fileData: { mimeType: IMAGE_TYPES[ext] ?? "image/jpeg", fileUri: url } };
}

function parseArgs(args: string, param: string): unknown {
  try {
    return args.trim() === "" ? {} : JSON.parse(args);
  } catch {
    throw invalidRequest(param, "tool call arguments must be a JSON object string");
  }
}

export function geminiModelPath(baseUrl: string, model: string, method: string): string {
  const base = /\/v1(beta|alpha)?\/?$/.test(baseUrl) ? baseUrl : joinUrl(baseUrl, "/v1beta");
  const name = model.startsWith("models/") ? model : `models/${model}`;
  return joinUrl(base, `/${name}:${method}`);
}

export function toGeminiBody(req: ChatCompletionRequest): Record<string, unknown> {
  if (req.logprobs) throw unsupported("logprobs");
  if (req.top_logprobs != null) throw unsupported("top_logprobs");
  if (req.logit_bias != null) throw unsupported("logit_bias");
  if (req.reasoning_effort != null) throw unsupported("reasoning_effort");
  if (req.parallel_tool_calls === false) throw unsupported("parallel_tool_calls", "parallel_tool_calls=false");
  if (req.stop != null && typeof req.stop !== "string" && req.stop.length > 5) {
    throw invalidRequest("stop", "at most 5 stop sequences for provider gemini");
  }

  const system: string[] = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: "user" | "model", parts: GeminiPart[]) => {
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  req.messages.forEach((m, i) => {
    switch (m.role) {
      case "system":
      case "developer":
        system.push(contentText(m.content));
        return;
      case "user": {
        if (typeof m.content === "string") return push("user", [{ text: m.content }]);
        const parts = m.content.map((p, j): GeminiPart => {
          if (p.type === "text") return { text: p.text };
          if (p.type === "image_url") return imagePart(p.image_url.url);
          if (p.type === "input_audio") {
            return { inlineData: { mimeType: p.input_audio.format === "mp3" ? "audio/mp3" : "audio/wav", data: p.input_audio.data } };
          }
          throw unsupported(`messages[${i}].content[${j}]`, `content part type '${p.type}'`);
        });
        return push("user", parts);
      }
      case "assistant": {
        const parts: GeminiPart[] = [];
        const text = contentText(m.content ?? null);
        if (text !== "") parts.push({ text });
        (m.tool_calls ?? []).forEach((tc, j) => {
          toolNames.set(tc.id, tc.function.name);
          parts.push({
            functionCall: {
              name: tc.function.name,
              args: parseArgs(tc.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`),
            },
          });
        });
        if (parts.length > 0) push("model", parts);
        return;
      }
      case "tool": {
        const name = toolNames.get(m.tool_call_id);
        if (!name) {
          throw invalidRequest(`messages[${i}].tool_call_id`, "tool_call_id does not match a tool call of an earlier assistant message");
        }
        const text = contentText(m.content);
        const parsed = safeJson(text);
        // functionResponse.response must be an object; plain text results are wrapped.
        const response =
          typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : { content: text };
        return push("user", [{ functionResponse: { name, response } }]);
      }
    }
  });

  const generationConfig: Record<string, unknown> = {};
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens != null) generationConfig.maxOutputTokens = maxTokens;
  if (req.temperature != null) generationConfig.temperature = req.temperature;
  if (req.top_p != null) generationConfig.topP = req.top_p;
  if (req.stop != null) generationConfig.stopSequences = typeof req.stop === "string" ? [req.stop] : req.stop;
  if (req.seed != null) generationConfig.seed = req.seed;
  if (req.n != null) generationConfig.candidateCount = req.n;
  if (req.presence_penalty != null) generationConfig.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty != null) generationConfig.frequencyPenalty = req.frequency_penalty;
  const rf = req.response_format;
  if (rf?.type === "json_object") generationConfig.responseMimeType = "application/json";
  if (rf?.type === "json_schema") {
    generationConfig.responseMimeType = "application/json";
    if (rf.json_schema.schema) generationConfig.responseJsonSchema = rf.json_schema.schema;
  }

  const body: Record<string, unknown> = { contents };
  if (system.length > 0) body.systemInstruction = { parts: [{ text: system.join("\n\n") }] };
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  if (req.tools && req.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: req.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description ? { description: t.function.description } : {}),
          ...(t.function.parameters ? { parametersJsonSchema: t.function.parameters } : {}),
        })),
      },
    ];
    const tc = req.tool_choice;
    if (tc !== undefined) {
      body.toolConfig = {
        functionCallingConfig:
          tc === "none"
            ? { mode: "NONE" }
            : tc === "auto"
              ? { mode: "AUTO" }
              : tc === "required"
                ? { mode: "ANY" }
                : { mode: "ANY", allowedFunctionNames: [tc.function.name] },
      };
    }
  } else if (typeof req.tool_choice === "object" || req.tool_choice === "required") {
    throw invalidRequest("tool_choice", "tool_choice requires tools");
  }
  return body;
}

const usageSchema = z
  .object({
    promptTokenCount: z.number().int().nonnegative().optional(),
    candidatesTokenCount: z.number().int().nonnegative().optional(),
    thoughtsTokenCount: z.number().int().nonnegative().optional(),
    cachedContentTokenCount: z.number().int().nonnegative().optional(),
    totalTokenCount: z.number().int().nonnegative().optional(),
  })
  .loose();

export function usageFromGemini(u: z.infer<typeof usageSchema>): Usage {
  return {
    inputTokens: u.promptTokenCount ?? 0,
    // Thinking tokens are billed as output.
    outputTokens: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
    cachedTokens: u.cachedContentTokenCount ?? 0,
    estimated: false,
  };
}

const partSchema = z
  .object({
    text: z.string().optional(),
    thought: z.boolean().optional(),
    functionCall: z.object({ name: z.string(), args: z.unknown().optional(), id: z.string().optional() }).loose().optional(),
  })
  .loose();

const responseSchema = z
  .object({
    candidates: z
      .array(
        z
          .object({
            content: z.object({ role: z.string().optional(), parts: z.array(partSchema).optional() }).loose().optional(),
            finishReason: z.string().optional(),
            index: z.number().int().optional(),
          })
          .loose(),
      )
      .optional(),
    promptFeedback: z.object({ blockReason: z.string().optional() }).loose().optional(),
    usageMetadata: usageSchema.optional(),
    responseId: z.string().optional(),
  })
  .loose();

export function mapFinishReason(reason: string | undefined, hasToolCalls: boolean): FinishReason | null {
  if (!reason || reason === "FINISH_REASON_UNSPECIFIED") return null;
  if (reason === "STOP") return hasToolCalls ? "tool_calls" : "stop";
  if (reason === "MAX_TOKENS") return "length";
  if (["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"].includes(reason)) {
    return "content_filter";
  }
  return "stop"; // LANGUAGE, OTHER, MALFORMED_FUNCTION_CALL, ...
}

const newToolCallId = () => `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`;

const errorSchema = z.object({
  error: z
    .object({
      code: z.number().optional(),
      message: z.string().optional(),
      status: z.string().optional(),
      details: z.array(z.object({ "@type": z.string().optional(), retryDelay: z.string().optional() }).loose()).optional(),
    })
    .loose(),
});

export const geminiAdapter: ProviderAdapter = {
  kind: "gemini",

  buildChatRequest(target: UpstreamTarget, req): UpstreamHttpRequest {
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(target.headers ?? {})) extra[k.toLowerCase()] = v;
    const url = req.stream
      ? `${geminiModelPath(target.baseUrl, target.upstreamModel, "streamGenerateContent")}?alt=sse`
      : geminiModelPath(target.baseUrl, target.upstreamModel, "generateContent");
    return {
      url,
      headers: { ...extra, "x-goog-api-key": target.apiKey, "content-type": "application/json" },
      body: toGeminiBody(req),
    };
  },

  parseChatResponse(json, ctx) {
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) throw new UpstreamError("server_error", "gemini sent a malformed response");
    const r = parsed.data;
    const candidates = r.candidates ?? [];
    const choices: ChatCompletion["choices"] = candidates.map((c, i) => {
      let text: string | null = null;
      const toolCalls: ToolCall[] = [];
      for (const p of c.content?.parts ?? []) {
        if (p.thought) continue;
        if (typeof p.text === "string") text = (text ?? "") + p.text;
        if (p.functionCall) {
          toolCalls.push({
            id: p.functionCall.id ?? newToolCallId(),
            type: "function",
            function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) },
          });
        }
      }
      return {
        index: c.index ?? i,
        message: { role: "assistant", content: text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        finish_reason: mapFinishReason(c.finishReason, toolCalls.length > 0),
      };
    });
    if (choices.length === 0 && r.promptFeedback?.blockReason) {
      choices.push({ index: 0, message: { role: "assistant", content: null }, finish_reason: "content_filter" });
    }
    const usage = r.usageMetadata ? usageFromGemini(r.usageMetadata) : null;
    const completion: ChatCompletion = {
      id: ctx.id,
      object: "chat.completion",
      created: ctx.created,
      model: ctx.model,
      choices,
    };
    if (usage) {
      completion.usage = {
        prompt_tokens: usage.inputTokens,
        completion_tokens: usage.outputTokens,
        total_tokens: usage.inputTokens + usage.outputTokens,
        ...(usage.cachedTokens > 0 ? { prompt_tokens_details: { cached_tokens: usage.cachedTokens } } : {}),
      };
    }
    return { completion, usage };
  },

  createStreamTransform(ctx: ChunkContext, req: ChatCompletionRequest): StreamTransform {
    // Gemini's stream has no end marker: it is complete once every candidate reported a finishReason.
    const expected = req.n ?? 1;
    const finishedCandidates = new Set<number>();
    const started = new Set<number>();
    const toolCounts = new Map<number, number>();
    let usage: Usage | null = null;
    return {
      get finished() {
        return finishedCandidates.size >= expected;
      },
      usage: () => usage,
      onEvent(ev) {
        const json = safeJson(ev.data);
        const err = errorSchema.safeParse(json);
        if (err.success) {
          const status = err.data.error.code ?? 500;
          throw httpError("gemini", status, {}, { message: err.data.error.message, code: err.data.error.status });
        }
        const parsed = responseSchema.safeParse(json);
        if (!parsed.success) throw new UpstreamError("server_error", "gemini sent a malformed stream chunk");
        const r = parsed.data;
        if (r.usageMetadata) usage = usageFromGemini(r.usageMetadata);
        const choices: ChatCompletionChunk["choices"] = [];
        (r.candidates ?? []).forEach((c, i) => {
          const index = c.index ?? i;
          const delta: ChatCompletionChunk["choices"][number]["delta"] = {};
          if (!started.has(index)) {
            started.add(index);
            delta.role = "assistant";
            delta.content = "";
          }
          let text = "";
          for (const p of c.content?.parts ?? []) {
            if (p.thought) continue;
            if (typeof p.text === "string") text += p.text;
            if (p.functionCall) {
              const n = toolCounts.get(index) ?? 0;
              toolCounts.set(index, n + 1);
              (delta.tool_calls ??= []).push({
                index: n,
                id: p.functionCall.id ?? newToolCallId(),
                type: "function",
                function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) },
              });
            }
          }
          if (text !== "") delta.content = text;
          const finish = mapFinishReason(c.finishReason, (toolCounts.get(index) ?? 0) > 0);
          if (finish) finishedCandidates.add(index);
          if (Object.keys(delta).length > 0 || finish) choices.push({ index, delta, finish_reason: finish });
        });
        if (r.candidates === undefined && r.promptFeedback?.blockReason) {
          for (let i = 0; i < expected; i++) {
            finishedCandidates.add(i);
            choices.push({ index: i, delta: { role: "assistant", content: "" }, finish_reason: "content_filter" });
          }
        }
        if (choices.length === 0) return [];
        return [{ id: ctx.id, object: "chat.completion.chunk", created: ctx.created, model: ctx.model, choices }];
      },
    };
  },

  mapError(status: number, bodyText: string, headers: HeaderBag) {
    const e = errorSchema.safeParse(safeJson(bodyText));
    const err = httpError("gemini", status, headers, {
      message: e.success ? sanitizeProviderMessage(e.data.error.message) : undefined,
      code: e.success ? e.data.error.status : undefined,
    });
    if (err.retryAfterMs === null && parseRetryAfterMs(headers) === null && e.success) {
      // Gemini puts the back-off in a google.rpc.RetryInfo detail ("retryDelay": "30s") instead of a header.
      const delay = e.data.error.details?.find((d) => typeof d.retryDelay === "string")?.retryDelay;
      const secs = delay ? Number.parseFloat(delay) : Number.NaN;
      if (Number.isFinite(secs)) {
        return new UpstreamError(err.failure, err.message, {
          status,
          retryAfterMs: Math.ceil(secs * 1000),
          ...(err.providerCode !== undefined ? { providerCode: err.providerCode } : {}),
        });
      }
    }
    return err;
  },

  buildEmbeddingsRequest(target, req): UpstreamHttpRequest {
    if (typeof req.input !== "string" && req.input.some((i) => typeof i !== "string")) {
      throw unsupported("input", "token-id input");
    }
    const texts = typeof req.input === "string" ? [req.input] : (req.input as string[]);
    const model = target.upstreamModel.startsWith("models/") ? target.upstreamModel : `models/${target.upstreamModel}`;
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(target.headers ?? {})) extra[k.toLowerCase()] = v;
    return {
      url: geminiModelPath(target.baseUrl, target.upstreamModel, "batchEmbedContents"),
      headers: { ...extra, "x-goog-api-key": target.apiKey, "content-type": "application/json" },
      body: {
        requests: texts.map((text) => ({
          model,
          content: { parts: [{ text }] },
          ...(req.dimensions ? { outputDimensionality: req.dimensions } : {}),
        })),
      },
    };
  },

  parseEmbeddingsResponse(json, req) {
    const parsed = z.object({ embeddings: z.array(z.object({ values: z.array(z.number()) }).loose()) }).safeParse(json);
    if (!parsed.success) throw new UpstreamError("server_error", "gemini sent a malformed embeddings response");
    const response: EmbeddingsResponse = {
      object: "list",
      data: parsed.data.embeddings.map((e, index) => ({
        object: "embedding",
        index,
        embedding: req.encoding_format === "base64" ? Buffer.from(new Float32Array(e.values).buffer).toString("base64") : e.values,
      })),
      model: req.model,
      usage: { prompt_tokens: 0, total_tokens: 0 },
    };
    // Gemini reports no token usage for embeddings; callEmbeddings counts them.
    return { response, usage: null };
  },
};
