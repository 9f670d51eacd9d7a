// Anthropic stream transform: the SSE event sequence (message_start, content_block_start/delta/stop,
// message_delta, message_stop, error) → chat.completion.chunk deltas with tool-call fragments and usage.
import type { ChatCompletionChunk, FinishReason } from "../openai-types.ts";
import { UpstreamError, type ChunkContext, type StreamTransform } from "../types.ts";
import { safeJson, sanitizeProviderMessage } from "../upstream-errors.ts";
import { errorSchema, failureForErrorType } from "./errors.ts";
import { mapStopReason, usageFromAnthropic, usageSchema, type AnthropicUsage } from "./response.ts";

export function createAnthropicStreamTransform(ctx: ChunkContext): StreamTransform {
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
                  {
                    index: toolIndex,
                    id: block.id ?? "",
                    type: "function",
                    function: { name: block.name ?? "", arguments: "" },
                  },
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
            if (ti === undefined)
              throw new UpstreamError("server_error", "anthropic sent input_json_delta for a non-tool block");
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
          throw new UpstreamError(
            failureForErrorType(etype),
            `anthropic stream error (${etype})${msg ? `: ${msg}` : ""}`,
            {
              providerCode: etype,
            },
          );
        }
        default: // ping, content_block_stop, and event types added later
          return [];
      }
    },
  };
}
