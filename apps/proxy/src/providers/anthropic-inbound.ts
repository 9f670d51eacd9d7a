// Clients on the Anthropic SDK call POST /v1/messages. Their request is validated here, converted to the
// canonical OpenAI request (so routing, policy and every provider work unchanged), and the OpenAI-shaped
// answer or chunk stream is converted back into a Messages response or its SSE event sequence.
import { z } from "zod";
import { invalidRequest, toOpenAIError } from "@gateway/policy/errors";
import {
  zodToInvalidRequest,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatMessage,
  type ContentPart,
  type FinishReason,
} from "./openai-types.ts";

const cacheControl = z
  .object({ type: z.literal("ephemeral"), ttl: z.string().optional() })
  .strict()
  .optional();

const textBlock = z
  .object({
    type: z.literal("text"),
    text: z.string(),
    cache_control: cacheControl,
    citations: z.array(z.unknown()).nullish(),
  })
  .strict();
const imageBlock = z
  .object({
    type: z.literal("image"),
    source: z.discriminatedUnion("type", [
      z
        .object({
          type: z.literal("base64"),
          media_type: z.enum(["image/jpeg", "image/png", "image/gif", "image/webp"]),
          data: z.string().min(1),
        })
        .strict(),
      z.object({ type: z.literal("url"), url: z.url() }).strict(),
    ]),
    cache_control: cacheControl,
  })
  .strict();
const toolUseBlock = z
  .object({
    type: z.literal("tool_use"),
    id: z.string().min(1),
    name: z.string().min(1),
    input: z.record(z.string(), z.unknown()),
    cache_control: cacheControl,
  })
  .strict();
const toolResultBlock = z
  .object({
    type: z.literal("tool_result"),
    tool_use_id: z.string().min(1),
    content: z.union([z.string(), z.array(z.discriminatedUnion("type", [textBlock, imageBlock]))]).optional(),
    is_error: z.boolean().optional(),
    cache_control: cacheControl,
  })
  .strict();

const userBlock = z.discriminatedUnion("type", [textBlock, imageBlock, toolResultBlock]);
const assistantBlock = z.discriminatedUnion("type", [textBlock, toolUseBlock]);

export const anthropicMessagesRequestSchema = z
  .object({
    model: z.string().min(1),
    max_tokens: z.number().int().positive(),
    messages: z
      .array(
        z.discriminatedUnion("role", [
          z.object({ role: z.literal("user"), content: z.union([z.string(), z.array(userBlock).min(1)]) }).strict(),
          z.object({ role: z.literal("assistant"), content: z.union([z.string(), z.array(assistantBlock)]) }).strict(),
        ]),
      )
      .min(1),
    system: z.union([z.string(), z.array(textBlock)]).optional(),
    stop_sequences: z.array(z.string()).max(4).optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    stream: z.boolean().optional(),
    tools: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
            description: z.string().optional(),
            input_schema: z.record(z.string(), z.unknown()),
            type: z.literal("custom").optional(),
            cache_control: cacheControl,
          })
          .strict(),
      )
      .optional(),
    tool_choice: z
      .discriminatedUnion("type", [
        z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }).strict(),
        z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }).strict(),
        z
          .object({
            type: z.literal("tool"),
            name: z.string().min(1),
            disable_parallel_tool_use: z.boolean().optional(),
          })
          .strict(),
        z.object({ type: z.literal("none") }).strict(),
      ])
      .optional(),
    metadata: z.object({ user_id: z.string().nullish() }).strict().optional(),
  })
  .strict();
export type AnthropicMessagesRequest = z.infer<typeof anthropicMessagesRequestSchema>;

/** Validates a /v1/messages body; throws invalidRequest naming the field (OpenAI-style param path). */
export function parseAnthropicMessagesRequest(body: unknown): AnthropicMessagesRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest("body", "the request body must be a JSON object");
  }
  const parsed = anthropicMessagesRequestSchema.safeParse(body);
  if (!parsed.success) zodToInvalidRequest(parsed.error);
  return parsed.data;
}

function imageUrl(block: z.infer<typeof imageBlock>): string {
  return block.source.type === "base64"
    ? `data:${block.source.media_type};base64,${block.source.data}`
    : block.source.url;
}

function toolResultText(block: z.infer<typeof toolResultBlock>, i: number, j: number): string {
  const c = block.content;
  let text: string;
  if (c === undefined) text = "";
  else if (typeof c === "string") text = c;
  else {
    if (c.some((b) => b.type === "image")) {
      // OpenAI tool messages carry text only; an image result cannot reach an OpenAI-shaped upstream.
      throw invalidRequest(`messages[${i}].content[${j}].content`, "images inside tool_result are not supported");
    }
    text = c.map((b) => (b.type === "text" ? b.text : "")).join("");
  }
  return block.is_error ? `Error: ${text}` : text;
}

export function anthropicToOpenAIRequest(body: AnthropicMessagesRequest): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  if (body.system !== undefined) {
    const text = typeof body.system === "string" ? body.system : body.system.map((b) => b.text).join("\n\n");
    if (text !== "") messages.push({ role: "system", content: text });
  }
  body.messages.forEach((m, i) => {
    if (m.role === "user") {
      if (typeof m.content === "string") return void messages.push({ role: "user", content: m.content });
      // Tool results become tool messages, which OpenAI wants right after the assistant's tool calls.
      const parts: ContentPart[] = [];
      m.content.forEach((b, j) => {
        if (b.type === "tool_result") {
          messages.push({ role: "tool", tool_call_id: b.tool_use_id, content: toolResultText(b, i, j) });
        } else if (b.type === "text") parts.push({ type: "text", text: b.text });
        else parts.push({ type: "image_url", image_url: { url: imageUrl(b) } });
      });
      if (parts.length > 0) messages.push({ role: "user", content: parts });
      return;
    }
    if (typeof m.content === "string") return void messages.push({ role: "assistant", content: m.content });
    const text = m.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
    const toolCalls = m.content.flatMap((b) =>
      b.type === "tool_use"
        ? [{ id: b.id, type: "function" as const, function: { name: b.name, arguments: JSON.stringify(b.input) } }]
        : [],
    );
    messages.push({
      role: "assistant",
      content: text === "" && toolCalls.length > 0 ? null : text,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    });
  });

  const req: ChatCompletionRequest = { model: body.model, messages, max_tokens: body.max_tokens };
  if (body.temperature !== undefined) req.temperature = body.temperature;
  if (body.top_p !== undefined) req.top_p = body.top_p;
  if (body.stop_sequences && body.stop_sequences.length > 0) req.stop = body.stop_sequences;
  if (body.metadata?.user_id) req.user = body.metadata.user_id;
  if (body.stream) {
    req.stream = true;
    // The Anthropic stream ends with usage in message_delta, so it is always requested.
    req.stream_options = { include_usage: true };
  }
  if (body.tools && body.tools.length > 0) {
    req.tools = body.tools.map((t) => ({
      type: "function",
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema },
    }));
  }
  const tc = body.tool_choice;
  if (tc) {
    req.tool_choice =
      tc.type === "auto"
        ? "auto"
        : tc.type === "any"
          ? "required"
          : tc.type === "none"
            ? "none"
            : { type: "function", function: { name: tc.name } };
    if (tc.type !== "none" && tc.disable_parallel_tool_use) req.parallel_tool_calls = false;
  }
  return req;
}

export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal";

export function toAnthropicStopReason(reason: FinishReason | null | undefined): AnthropicStopReason {
  switch (reason) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}

export interface AnthropicUsageOut {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

function usageOut(u: ChatCompletion["usage"] | null | undefined): AnthropicUsageOut {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    // Anthropic counts cache reads apart from input_tokens; OpenAI includes them in prompt_tokens.
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached),
    output_tokens: u?.completion_tokens ?? 0,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: 0,
  };
}

function parseToolInput(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args === "" ? "{}" : args);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    return { value: v };
  } catch {
    // The model produced arguments that are not JSON: keep them visible rather than drop them.
    return { _raw_arguments: args };
  }
}

export function anthropicMessageId(openAIId: string): string {
  return `msg_${openAIId.replace(/^chatcmpl-/, "")}`;
}

export function openAIToAnthropicResponse(completion: ChatCompletion) {
  const choice = completion.choices[0];
  const content: Record<string, unknown>[] = [];
  const text = (choice?.message.content ?? "") + (choice?.message.refusal ?? "");
  if (text) content.push({ type: "text", text });
  for (const tc of choice?.message.tool_calls ?? []) {
    content.push({ type: "tool_use", id: tc.id, name: tc.function.name, input: parseToolInput(tc.function.arguments) });
  }
  return {
    id: anthropicMessageId(completion.id),
    type: "message" as const,
    role: "assistant" as const,
    model: completion.model,
    content,
    stop_reason: toAnthropicStopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: usageOut(completion.usage),
  };
}

export interface AnthropicSseEvent {
  event: string;
  data: Record<string, unknown>;
}

export function formatAnthropicSse(ev: AnthropicSseEvent): string {
  return `event: ${ev.event}\ndata: ${JSON.stringify(ev.data)}\n\n`;
}

/**
 * OpenAI chunks (from callChat with stream_options.include_usage) → Anthropic SSE events. Errors thrown by
 * the chunk iterator propagate: the caller ends the stream with `anthropicErrorEvent` and logs it.
 */
export async function* openAIChunksToAnthropicEvents(
  chunks: AsyncIterable<ChatCompletionChunk>,
  opts: { model: string; inputTokensEstimate?: number },
): AsyncGenerator<AnthropicSseEvent> {
  let started = false;
  let blockIndex = -1;
  let open: { kind: "text" } | { kind: "tool"; toolIndex: number } | null = null;
  const toolBlocks = new Map<number, number>();
  let stopReason: AnthropicStopReason = "end_turn";
  let usage: ChatCompletion["usage"] | null = null;

  const start = (id: string): AnthropicSseEvent => {
    started = true;
    return {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id: anthropicMessageId(id),
          type: "message",
          role: "assistant",
          model: opts.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: opts.inputTokensEstimate ?? 0,
            output_tokens: 0,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
          },
        },
      },
    };
  };
  const close = (): AnthropicSseEvent[] => {
    if (!open) return [];
    open = null;
    return [{ event: "content_block_stop", data: { type: "content_block_stop", index: blockIndex } }];
  };

  for await (const chunk of chunks) {
    if (!started) yield start(chunk.id);
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices.find((c) => c.index === 0);
    if (!choice) continue;
    const { delta } = choice;
    // Anthropic has no refusal field; a refusal reads as the answer's text, as it would from Claude.
    const text = (delta.content ?? "") + (delta.refusal ?? "");
    if (text) {
      if (open?.kind !== "text") {
        yield* close();
        blockIndex += 1;
        open = { kind: "text" };
        yield {
          event: "content_block_start",
          data: { type: "content_block_start", index: blockIndex, content_block: { type: "text", text: "" } },
        };
      }
      yield {
        event: "content_block_delta",
        data: { type: "content_block_delta", index: blockIndex, delta: { type: "text_delta", text } },
      };
    }
    for (const tc of delta.tool_calls ?? []) {
      if (!toolBlocks.has(tc.index)) {
        yield* close();
        blockIndex += 1;
        toolBlocks.set(tc.index, blockIndex);
        open = { kind: "tool", toolIndex: tc.index };
        yield {
          event: "content_block_start",
          data: {
            type: "content_block_start",
            index: blockIndex,
            content_block: {
              type: "tool_use",
              id: tc.id ?? `toolu_${blockIndex}`,
              name: tc.function?.name ?? "",
              input: {},
            },
          },
        };
      }
      const args = tc.function?.arguments;
      if (args) {
        yield {
          event: "content_block_delta",
          data: {
            type: "content_block_delta",
            index: toolBlocks.get(tc.index),
            delta: { type: "input_json_delta", partial_json: args },
          },
        };
      }
    }
    if (choice.finish_reason) stopReason = toAnthropicStopReason(choice.finish_reason);
  }
  if (!started) yield start("chatcmpl-empty");
  yield* close();
  const u = usageOut(usage);
  yield {
    event: "message_delta",
    data: {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: {
        output_tokens: u.output_tokens,
        input_tokens: u.input_tokens,
        cache_read_input_tokens: u.cache_read_input_tokens,
      },
    },
  };
  yield { event: "message_stop", data: { type: "message_stop" } };
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  422: "invalid_request_error",
  429: "rate_limit_error",
  503: "overloaded_error",
  504: "api_error",
};

/** Any error → Anthropic's error shape, with the gateway's code kept alongside for debugging. */
export function toAnthropicError(err: unknown): {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
} {
  const { status, body, headers } = toOpenAIError(err);
  return {
    status,
    headers,
    body: {
      type: "error",
      error: {
        type: ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error"),
        message: body.error.message,
        ...(body.error.code ? { code: body.error.code } : {}),
        ...(body.error.param ? { param: body.error.param } : {}),
      },
    },
  };
}

/** The in-stream error event that ends an Anthropic stream after its first byte. */
export function anthropicErrorEvent(err: unknown): AnthropicSseEvent {
  const { body } = toAnthropicError(err);
  return { event: "error", data: body };
}
