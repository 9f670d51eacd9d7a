// Anthropic response transform: a Messages API message → chat.completion, with stop reasons and usage
// (cache reads counted into prompt tokens, as OpenAI does) mapped.
import { z } from "zod";
import type { ChatCompletion, FinishReason, ToolCall } from "../openai-types.ts";
import { UpstreamError, type ChunkContext, type Usage } from "../types.ts";

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

export const usageSchema = z
  .object({
    input_tokens: z.number().int().nonnegative().nullish(),
    output_tokens: z.number().int().nonnegative().nullish(),
    cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
    cache_read_input_tokens: z.number().int().nonnegative().nullish(),
  })
  .loose();
export type AnthropicUsage = z.infer<typeof usageSchema>;

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
      toolCalls.push({
        id: tu.id,
        type: "function",
        function: { name: tu.name, arguments: JSON.stringify(tu.input ?? {}) },
      });
    }
  }
  return { text, toolCalls };
}

export function parseAnthropicMessage(
  json: unknown,
  ctx: ChunkContext,
): { completion: ChatCompletion; usage: Usage | null } {
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
}
