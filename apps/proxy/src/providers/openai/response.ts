// OpenAI-format response transform: strict parsing of chat.completion and embeddings payloads, so a
// malformed provider payload is an upstream failure rather than a crash in front of the client.
import { z } from "zod";
import type { ChatCompletion, EmbeddingsRequest, EmbeddingsResponse } from "../openai-types.ts";
import { UpstreamError, type ChunkContext, type Usage } from "../types.ts";

export const usageSchema = z
  .object({
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative().optional(),
    total_tokens: z.number().int().nonnegative().optional(),
    prompt_tokens_details: z.object({ cached_tokens: z.number().int().nonnegative().optional() }).nullish(),
  })
  .loose();

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal("function").default("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const finishReasonSchema = z
  .enum(["stop", "length", "tool_calls", "content_filter", "function_call"])
  .nullable();

export const completionSchema = z
  .object({
    id: z.string(),
    created: z.number().optional(),
    choices: z.array(
      z.object({
        // Some OpenAI-compatible servers leave out the index of a single choice.
        index: z.number().int().default(0),
        message: z
          .object({
            role: z.literal("assistant"),
            content: z.string().nullable().optional(),
            refusal: z.string().nullable().optional(),
            tool_calls: z.array(toolCallSchema).nullish(),
          })
          .loose(),
        finish_reason: finishReasonSchema,
        logprobs: z.unknown().optional(),
      }),
    ),
    usage: usageSchema.nullish(),
    system_fingerprint: z.string().nullish(),
  })
  .loose();

const embeddingsSchema = z.object({
  data: z.array(z.object({ index: z.number().int(), embedding: z.union([z.array(z.number()), z.string()]) }).loose()),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).loose().nullish(),
});

export function usageFromOpenAI(u: z.infer<typeof usageSchema> | null | undefined): Usage | null {
  if (!u) return null;
  return {
    inputTokens: u.prompt_tokens,
    outputTokens: u.completion_tokens ?? 0,
    cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    estimated: false,
  };
}

export function invalidPayload(provider: string, what: string): UpstreamError {
  return new UpstreamError("server_error", `${provider} sent a malformed ${what}`);
}

type ParsedCompletion = z.infer<typeof completionSchema>;

// The fast path for the common payload (text choices, no tool calls, plain usage), checked by hand: the
// schema costs more than the rest of the transform. What it accepts the schema accepts with the same
// value (no default applies: index is present and tool_calls absent or empty); anything else goes through
// the schema.
const FINISH: ReadonlySet<unknown> = new Set([null, "stop", "length", "tool_calls", "content_filter", "function_call"]);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const optCount = (v: unknown) => v === undefined || (typeof v === "number" && Number.isSafeInteger(v) && v >= 0);
const optText = (v: unknown) => v === undefined || v === null || typeof v === "string";

function isCommonCompletion(json: unknown): json is ParsedCompletion {
  if (!isRecord(json) || typeof json.id !== "string" || !Array.isArray(json.choices)) return false;
  if (json.created !== undefined && typeof json.created !== "number") return false;
  if (!optText(json.system_fingerprint)) return false;
  for (const ch of json.choices) {
    if (!isRecord(ch) || typeof ch.index !== "number" || !Number.isSafeInteger(ch.index) || !FINISH.has(ch.finish_reason)) return false;
    const m = ch.message;
    if (!isRecord(m) || m.role !== "assistant" || !optText(m.content) || !optText(m.refusal)) return false;
    if (m.tool_calls !== undefined && m.tool_calls !== null && !(Array.isArray(m.tool_calls) && m.tool_calls.length === 0)) return false;
  }
  const u = json.usage;
  if (u === undefined || u === null) return true;
  if (!isRecord(u) || typeof u.prompt_tokens !== "number" || !optCount(u.prompt_tokens)) return false;
  if (!optCount(u.completion_tokens) || !optCount(u.total_tokens)) return false;
  const d = u.prompt_tokens_details;
  // The schema keeps only cached_tokens here; a payload with more goes through it.
  return d === undefined || d === null || (isRecord(d) && optCount(d.cached_tokens) && Object.keys(d).every((k) => k === "cached_tokens"));
}

export function parseOpenAICompletion(
  label: string,
  json: unknown,
  ctx: ChunkContext,
): { completion: ChatCompletion; usage: Usage | null } {
  let c: ParsedCompletion;
  if (isCommonCompletion(json)) c = json;
  else {
    const parsed = completionSchema.safeParse(json);
    if (!parsed.success) throw invalidPayload(label, "chat completion");
    c = parsed.data;
  }
  const completion: ChatCompletion = {
    id: c.id,
    object: "chat.completion",
    created: c.created ?? ctx.created,
    model: ctx.model,
    choices: c.choices.map((ch) => {
      const message: ChatCompletion["choices"][number]["message"] = {
        role: "assistant",
        content: ch.message.content ?? null,
      };
      if (ch.message.refusal != null) message.refusal = ch.message.refusal;
      if (ch.message.tool_calls && ch.message.tool_calls.length > 0) message.tool_calls = ch.message.tool_calls;
      const choice: ChatCompletion["choices"][number] = { index: ch.index, message, finish_reason: ch.finish_reason };
      if (ch.logprobs !== undefined) choice.logprobs = ch.logprobs;
      return choice;
    }),
  };
  if (c.usage) completion.usage = c.usage as ChatCompletion["usage"] & object;
  if (c.system_fingerprint !== undefined) completion.system_fingerprint = c.system_fingerprint;
  return { completion, usage: usageFromOpenAI(c.usage) };
}

export function parseOpenAIEmbeddings(
  label: string,
  json: unknown,
  req: EmbeddingsRequest,
): { response: EmbeddingsResponse; usage: Usage | null } {
  const parsed = embeddingsSchema.safeParse(json);
  if (!parsed.success) throw invalidPayload(label, "embeddings response");
  const response: EmbeddingsResponse = {
    object: "list",
    data: parsed.data.data.map((d) => ({ object: "embedding", index: d.index, embedding: d.embedding })),
    model: req.model,
    usage: {
      prompt_tokens: parsed.data.usage?.prompt_tokens ?? 0,
      total_tokens: parsed.data.usage?.prompt_tokens ?? 0,
    },
  };
  const usage: Usage | null = parsed.data.usage
    ? { inputTokens: parsed.data.usage.prompt_tokens, outputTokens: 0, cachedTokens: 0, estimated: false }
    : null;
  return { response, usage };
}
