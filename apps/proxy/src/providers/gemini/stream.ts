// Gemini stream transform: streamGenerateContent?alt=sse frames → chat.completion.chunk deltas. Gemini's
// stream has no end marker, so it counts as complete once every candidate reported a finishReason.
import type { ChatCompletionChunk, ChatCompletionRequest } from "../openai-types.ts";
import { UpstreamError, type ChunkContext, type StreamTransform, type Usage } from "../types.ts";
import { httpError, safeJson } from "../upstream-errors.ts";
import { errorSchema } from "./errors.ts";
import { mapFinishReason, newToolCallId, responseSchema, usageFromGemini } from "./response.ts";

export function createGeminiStreamTransform(ctx: ChunkContext, req: ChatCompletionRequest): StreamTransform {
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
}
