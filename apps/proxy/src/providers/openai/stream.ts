// OpenAI-format stream transform: chat.completion.chunk events pass through re-stamped with the response
// model; the usage chunk is captured, `[DONE]` marks a complete stream, and an in-stream error throws.
import { z } from "zod";
import type { ChatCompletionChunk } from "../openai-types.ts";
import { UpstreamError, type ChunkContext, type StreamTransform, type Usage } from "../types.ts";
import { safeJson } from "../upstream-errors.ts";
import { errorBodySchema } from "./errors.ts";
import { finishReasonSchema, invalidPayload, usageFromOpenAI, usageSchema } from "./response.ts";

const chunkSchema = z
  .object({
    id: z.string(),
    created: z.number().optional(),
    choices: z.array(
      z.object({
        // Some OpenAI-compatible servers leave out the index of a single choice or tool call.
        index: z.number().int().default(0),
        delta: z
          .object({
            role: z.literal("assistant").optional(),
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().default(0),
                  id: z.string().optional(),
                  type: z.literal("function").optional(),
                  function: z.object({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
                }),
              )
              .nullish(),
          })
          .loose(),
        finish_reason: finishReasonSchema.optional(),
        logprobs: z.unknown().optional(),
      }),
    ),
    usage: usageSchema.nullish(),
    system_fingerprint: z.string().nullish(),
  })
  .loose();

export function createOpenAIStreamTransform(label: string, ctx: ChunkContext): StreamTransform {
  let finished = false;
  let usage: Usage | null = null;
  return {
    get finished() {
      return finished;
    },
    usage: () => usage,
    onEvent(ev) {
      const data = ev.data.trim();
      if (data === "[DONE]") {
        finished = true;
        return [];
      }
      if (data === "") return [];
      const json = safeJson(data);
      const err = errorBodySchema.safeParse(json);
      if (err.success) {
        // An error after the stream started (OpenAI sends it as a data event with no status).
        throw new UpstreamError(
          "server_error",
          `${label} stream error${err.data.error.code ? ` (${err.data.error.code})` : ""}: ${err.data.error.message ?? "unknown"}`.slice(
            0,
            300,
          ),
          err.data.error.code != null ? { providerCode: String(err.data.error.code) } : {},
        );
      }
      const parsed = chunkSchema.safeParse(json);
      if (!parsed.success) throw invalidPayload(label, "stream chunk");
      const c = parsed.data;
      if (c.usage) usage = usageFromOpenAI(c.usage);
      const chunk: ChatCompletionChunk = {
        id: c.id,
        object: "chat.completion.chunk",
        created: c.created ?? ctx.created,
        model: ctx.model,
        choices: c.choices.map((ch) => ({
          index: ch.index,
          delta: ch.delta as ChatCompletionChunk["choices"][number]["delta"],
          finish_reason: ch.finish_reason ?? null,
          ...(ch.logprobs !== undefined ? { logprobs: ch.logprobs } : {}),
        })),
      };
      if (c.usage) chunk.usage = c.usage as ChatCompletionChunk["usage"];
      if (c.system_fingerprint !== undefined) chunk.system_fingerprint = c.system_fingerprint;
      return [chunk];
    },
  };
}
