// Gemini response transform: generateContent responses → chat.completion (finish reasons, function calls
// with minted ids, usageMetadata with thinking tokens billed as output) and batchEmbedContents → embeddings.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { ChatCompletion, EmbeddingsRequest, EmbeddingsResponse, FinishReason, ToolCall } from "../openai-types.ts";
import { UpstreamError, type ChunkContext, type Usage } from "../types.ts";

export const usageSchema = z
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
    functionCall: z
      .object({ name: z.string(), args: z.unknown().optional(), id: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();

export const responseSchema = z
  .object({
    candidates: z
      .array(
        z
          .object({
            content: z
              .object({ role: z.string().optional(), parts: z.array(partSchema).optional() })
              .loose()
              .optional(),
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

export const newToolCallId = () => `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`;

export function parseGeminiResponse(
  json: unknown,
  ctx: ChunkContext,
): { completion: ChatCompletion; usage: Usage | null } {
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
}

export function parseGeminiEmbeddings(
  json: unknown,
  req: EmbeddingsRequest,
): { response: EmbeddingsResponse; usage: Usage | null } {
  const parsed = z.object({ embeddings: z.array(z.object({ values: z.array(z.number()) }).loose()) }).safeParse(json);
  if (!parsed.success) throw new UpstreamError("server_error", "gemini sent a malformed embeddings response");
  const response: EmbeddingsResponse = {
    object: "list",
    data: parsed.data.embeddings.map((e, index) => ({
      object: "embedding",
      index,
      embedding:
        req.encoding_format === "base64" ? Buffer.from(new Float32Array(e.values).buffer).toString("base64") : e.values,
    })),
    model: req.model,
    usage: { prompt_tokens: 0, total_tokens: 0 },
  };
  // Gemini reports no token usage for embeddings; callEmbeddings counts them.
  return { response, usage: null };
}
