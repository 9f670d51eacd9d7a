// Anthropic Messages API ⇄ OpenAI Chat Completions. System messages move to `system`, tool calls become
// tool_use blocks and tool messages tool_result blocks, stop reasons and usage (cache reads included) map
// back, and the SSE event sequence becomes chat.completion.chunk deltas with tool-call fragments.
import { z } from "zod";
import { invalidRequest } from "@gateway/policy/errors";
import {
  contentText,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
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
import { failureForStatus, httpError, safeJson, sanitizeProviderMessage, type HeaderBag } from "../upstream-errors.ts";

export const ANTHROPIC_VERSION = "2023-06-01";
/** Anthropic requires max_tokens; OpenAI clients often omit it. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

type AnthropicBlock =
  | { type: "text"; text: string }
  | { type: "image"; source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string } }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content: string };

interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicBlock[];
}

const unsupported = (field: string, what = field) =>
  invalidRequest(field, `${what} is not supported by provider anthropic`);

export function imageBlockFromUrl(url: string): AnthropicBlock {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: "image", source: { type: "base64", media_type: m[1] ?? "image/png", data: m[2] ?? "" } };
  return { type: "image", source: { type: "url", url } };
}

function parseArguments(args: string, param: string): unknown {
  try {
    return args.trim() === "" ? {} : JSON.parse(args);
  } catch {
    throw invalidRequest(param, "tool call arguments must be a JSON object string");
  }
}

export function toAnthropicBody(target: UpstreamTarget, req: ChatCompletionRequest): Record<string, unknown> {
  if (req.n != null && req.n > 1) throw unsupported("n", "n > 1");
  if (req.logprobs) throw unsupported("logprobs");
  if (req.top_logprobs != null) throw unsupported("top_logprobs");
  if (req.logit_bias != null) throw unsupported("logit_bias");
  if (req.frequency_penalty != null) throw unsupported("frequency_penalty");
  if (req.presence_penalty != null) throw unsupported("presence_penalty");
  if (req.seed != null) throw unsupported("seed");
  if (req.reasoning_effort != null) throw unsupported("reasoning_effort");
  if (req.temperature != null && req.temperature > 1) {
    throw invalidRequest("temperature", "temperature must be between 0 and 1 for provider anthropic");
  }

  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: "user" | "assistant", blocks: AnthropicBlock[]) => {
    const last = messages[messages.length - 1];
    // Anthropic wants alternating turns; OpenAI allows runs (several tool results, user after tool).
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  req.messages.forEach((m, i) => {
    switch (m.role) {
      case "system":
      case "developer":
        system.push(contentText(m.content));
        return;
      case "user": {
        if (typeof m.content === "string") return push("user", [{ type: "text", text: m.content }]);
        const blocks = m.content.map((p, j): AnthropicBlock => {
          if (p.type === "text") return { type: "text", text: p.text };
          if (p.type === "image_url") return imageBlockFromUrl(p.image_url.url);
          throw unsupported(`messages[${i}].content[${j}]`, `content part type '${p.type}'`);
        });
        return push("user", blocks);
      }
      case "assistant": {
        const blocks: AnthropicBlock[] = [];
        const text = contentText(m.content ?? null);
        if (text !== "") blocks.push({ type: "text", text });
        (m.tool_calls ?? []).forEach((tc, j) =>
          blocks.push({
            type: "tool_use",
            id: tc.id,
            name: tc.function.name,
            input: parseArguments(tc.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`),
          }),
        );
        if (blocks.length === 0) return;
        return push("assistant", blocks);
      }
      case "tool":
        return push("user", [{ type: "tool_result", tool_use_id: m.tool_call_id, content: contentText(m.content) }]);
    }
  });

  const rf = req.response_format;
  if (rf?.type === "json_object") {
    system.push("Respond with a single JSON object and nothing else.");
  } else if (rf?.type === "json_schema") {
    // No native JSON mode: the instruction carries the schema and the route's validator checks the result.
    system.push(
      `Respond with a single JSON value and nothing else. It must validate against this JSON schema:\n${JSON.stringify(rf.json_schema.schema ?? {})}`,
    );
  }

  const body: Record<string, unknown> = {
    model: target.upstreamModel,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length > 0) body.system = system.join("\n\n");
  if (req.temperature != null) body.temperature = req.temperature;
  if (req.top_p != null) body.top_p = req.top_p;
  if (req.stop != null) body.stop_sequences = typeof req.stop === "string" ? [req.stop] : req.stop;
  if (req.user) body.metadata = { user_id: req.user };
  if (req.stream) body.stream = true;

  // Tools stay declared under tool_choice "none": Anthropic refuses tool_use blocks in the history otherwise.
  if (req.tools && req.tools.length > 0) {
    body.tools = req.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: "object", properties: {} },
    }));
    const tc = req.tool_choice;
    const choice: Record<string, unknown> =
      tc === "required"
        ? { type: "any" }
        : typeof tc === "object"
          ? { type: "tool", name: tc.function.name }
          : tc === "none"
            ? { type: "none" }
            : { type: "auto" };
    if (req.parallel_tool_calls === false && tc !== "none") choice.disable_parallel_tool_use = true;
    if (tc !== undefined || req.parallel_tool_calls === false) body.tool_choice = choice;
  } else if (typeof req.tool_choice === "object" || req.tool_choice === "required") {
    throw invalidRequest("tool_choice", "tool_choice requires tools");
  }
  return body;
}

export function mapStopReason(reason: string | null | undefined): FinishReason | null {
  switch (reason) {
    case null:
    case undefined:
      return null;
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default: // end_turn, stop_sequence, pause_turn
      return "stop";
  }
}

const usageSchema = z
  .object({
    input_tokens: z.number().int().nonnegative().nullish(),
    output_tokens: z.number().int().nonnegative().nullish(),
    cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
    cache_read_input_tokens: z.number().int().nonnegative().nullish(),
  })
  .loose();
type AnthropicUsage = z.infer<typeof usageSchema>;

/** OpenAI counts cached prompt tokens inside prompt_tokens; Anthropic reports them apart. */
export function usageFromAnthropic(u: AnthropicUsage): Usage {
  const cacheRead = u.cache_read_input_tokens ?? 0;
  return {
    inputTokens: (u.input_tokens ?? 0) + cacheRead + (u.cache_creation_input_tokens ?? 0),
    outputTokens: u.output_tokens ?? 0,
    cachedTokens: cacheRead,
    estimated: false,
  };
}

const messageSchema = z
  .object({
    id: z.string(),
    type: z.literal("message"),
    role: z.literal("assistant"),
    content: z.array(
      z.union([
        z.object({ type: z.literal("text"), text: z.string() }).loose(),
        z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown() }).loose(),
        z.object({ type: z.string() }).loose(),
      ]),
    ),
    model: z.string().optional(),
    stop_reason: z.string().nullable(),
    usage: usageSchema.optional(),
  })
  .loose();

const errorSchema = z.object({
  type: z.literal("error"),
  error: z.object({ type: z.string(), message: z.string().optional() }).loose(),
});

function failureForErrorType(type: string): UpstreamError["failure"] {
  switch (type) {
    case "rate_limit_error":
      return "rate_limited";
    case "overloaded_error":
    case "api_error":
      return "server_error";
    case "timeout_error":
      return "timeout";
    default:
      return "client_error";
  }
}

export function messagesUrl(baseUrl: string): string {
  return /\/v1\/?$/.test(baseUrl) ? joinUrl(baseUrl, "/messages") : joinUrl(baseUrl, "/v1/messages");
}

function assistantFromBlocks(content: z.infer<typeof messageSchema>["content"]): {
  text: string | null;
  toolCalls: ToolCall[];
} {
  let text: string | null = null;
  const toolCalls: ToolCall[] = [];
  for (const b of content) {
    if (b.type === "text" && "text" in b && typeof b.text === "string") text = (text ?? "") + b.text;
    else if (b.type === "tool_use" && "id" in b && "name" in b) {
      const tu = b as { id: string; name: string; input: unknown };
      toolCalls.push({ id: tu.id, type: "function", function: { name: tu.name, arguments: JSON.stringify(tu.input ?? {}) } });
    }
  }
  return { text, toolCalls };
}

export const anthropicAdapter: ProviderAdapter = {
  kind: "anthropic",

  buildChatRequest(target, req): UpstreamHttpRequest {
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(target.headers ?? {})) extra[k.toLowerCase()] = v;
    return {
      url: messagesUrl(target.baseUrl),
      headers: {
        ...extra,
        "x-api-key": target.apiKey,
        "anthropic-version": target.apiVersion || ANTHROPIC_VERSION,
        "content-type": "application/json",
        accept: req.stream ? "text/event-stream" : "application/json",
      },
      body: toAnthropicBody(target, req),
    };
  },

  parseChatResponse(json, ctx) {
    const parsed = messageSchema.safeParse(json);
    if (!parsed.success) throw new UpstreamError("server_error", "anthropic sent a malformed message");
    const m = parsed.data;
    const { text, toolCalls } = assistantFromBlocks(m.content);
    const usage = m.usage ? usageFromAnthropic(m.usage) : null;
    const completion: ChatCompletion = {
      id: ctx.id,
      object: "chat.completion",
      created: ctx.created,
      model: ctx.model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
          finish_reason: mapStopReason(m.stop_reason),
        },
      ],
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

  createStreamTransform(ctx: ChunkContext): StreamTransform {
    let finished = false;
    let usage: AnthropicUsage | null = null;
    let toolIndex = -1;
    // Anthropic numbers content blocks (text and tool_use together); OpenAI numbers tool calls alone.
    const toolIndexByBlock = new Map<number, number>();
    const chunk = (delta: ChatCompletionChunk["choices"][number]["delta"], finish: FinishReason | null = null) => ({
      id: ctx.id,
      object: "chat.completion.chunk" as const,
      created: ctx.created,
      model: ctx.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    return {
      get finished() {
        return finished;
      },
      usage: () => (usage ? usageFromAnthropic(usage) : null),
      onEvent(ev) {
        const data = safeJson(ev.data) as Record<string, unknown> | undefined;
        const type = (data && typeof data.type === "string" ? data.type : ev.event) ?? "";
        switch (type) {
          case "message_start": {
            const u = usageSchema.safeParse((data?.message as { usage?: unknown } | undefined)?.usage);
            if (u.success) usage = u.data;
            return [chunk({ role: "assistant", content: "" })];
          }
          case "content_block_start": {
            const block = data?.content_block as { type?: string; id?: string; name?: string; text?: string } | undefined;
            const index = typeof data?.index === "number" ? data.index : 0;
            if (block?.type === "tool_use") {
              toolIndex += 1;
              toolIndexByBlock.set(index, toolIndex);
              return [
                chunk({
                  tool_calls: [
                    { index: toolIndex, id: block.id ?? "", type: "function", function: { name: block.name ?? "", arguments: "" } },
                  ],
                }),
              ];
            }
            if (block?.type === "text" && block.text) return [chunk({ content: block.text })];
            return [];
          }
          case "content_block_delta": {
            const delta = data?.delta as { type?: string; text?: string; partial_json?: string } | undefined;
            const index = typeof data?.index === "number" ? data.index : 0;
            if (delta?.type === "text_delta" && delta.text) return [chunk({ content: delta.text })];
            if (delta?.type === "input_json_delta" && delta.partial_json) {
              const ti = toolIndexByBlock.get(index);
              if (ti === undefined) throw new UpstreamError("server_error", "anthropic sent input_json_delta for a non-tool block");
              return [chunk({ tool_calls: [{ index: ti, function: { arguments: delta.partial_json } }] })];
            }
            return []; // thinking_delta, signature_delta, empty fragments
          }
          case "message_delta": {
            const u = usageSchema.safeParse(data?.usage);
            if (u.success) {
              // message_delta carries cumulative counts; keep message_start's input figures it omits.
              usage = { ...(usage ?? {}), ...Object.fromEntries(Object.entries(u.data).filter(([, v]) => v != null)) };
            }
            const stop = (data?.delta as { stop_reason?: string | null } | undefined)?.stop_reason;
            return [chunk({}, mapStopReason(stop) ?? "stop")];
          }
          case "message_stop":
            finished = true;
            return [];
          case "error": {
            const e = errorSchema.safeParse(data);
            const etype = e.success ? e.data.error.type : "api_error";
            const msg = e.success ? sanitizeProviderMessage(e.data.error.message) : "";
            throw new UpstreamError(failureForErrorType(etype), `anthropic stream error (${etype})${msg ? `: ${msg}` : ""}`, {
              providerCode: etype,
            });
          }
          default: // ping, content_block_stop, and event types added later
            return [];
        }
      },
    };
  },

  mapError(status: number, bodyText: string, headers: HeaderBag) {
    const e = errorSchema.safeParse(safeJson(bodyText));
    const err = httpError("anthropic", status, headers, {
      message: e.success ? e.data.error.message : undefined,
      code: e.success ? e.data.error.type : undefined,
    });
    // Anthropic's 529 overloaded_error is a server condition whatever the status family says.
    if (failureForStatus(status) === "client_error" && e.success && e.data.error.type === "overloaded_error") {
      return new UpstreamError("server_error", err.message, { status, providerCode: "overloaded_error" });
    }
    return err;
  },

  buildEmbeddingsRequest() {
    throw invalidRequest("model", "embeddings are not supported by provider anthropic");
  },

  parseEmbeddingsResponse() {
    throw invalidRequest("model", "embeddings are not supported by provider anthropic");
  },
};
