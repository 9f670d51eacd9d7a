// OpenAI Chat Completions and Embeddings. The canonical shape is OpenAI's, so the transforms mostly pass
// through; what they add is the upstream model name, usage always requested in streams, and strict parsing
// of what comes back so a malformed provider payload is an upstream failure, not a client-facing crash.
import { z } from "zod";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from "../openai-types.ts";
import {
  UpstreamError,
  type ChunkContext,
  type ProviderAdapter,
  type ProviderKind,
  type StreamTransform,
  type UpstreamHttpRequest,
  type UpstreamTarget,
  type Usage,
} from "../types.ts";
import { httpError, safeJson, type HeaderBag } from "../upstream-errors.ts";

const usageSchema = z
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

const finishReasonSchema = z.enum(["stop", "length", "tool_calls", "content_filter", "function_call"]).nullable();

const completionSchema = z
  .object({
    id: z.string(),
    created: z.number().optional(),
    choices: z.array(
      z.object({
        index: z.number().int(),
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

const chunkSchema = z
  .object({
    id: z.string(),
    created: z.number().optional(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        delta: z
          .object({
            role: z.literal("assistant").optional(),
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int(),
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

const embeddingsSchema = z.object({
  data: z.array(
    z.object({ index: z.number().int(), embedding: z.union([z.array(z.number()), z.string()]) }).loose(),
  ),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).loose().nullish(),
});

const errorBodySchema = z.object({
  error: z
    .object({ message: z.string().nullish(), type: z.string().nullish(), code: z.union([z.string(), z.number()]).nullish() })
    .loose(),
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

function invalidPayload(provider: string, what: string): UpstreamError {
  return new UpstreamError("server_error", `${provider} sent a malformed ${what}`);
}

/** The body OpenAI-format upstreams get: the client's request, upstream model, usage always on in streams. */
export function openAIChatBody(req: ChatCompletionRequest, model: string | null): Record<string, unknown> {
  // `metadata` is the gateway's own (logged, not forwarded): OpenAI refuses it unless `store` is on.
  const { metadata: _metadata, ...rest } = req;
  const body: Record<string, unknown> = { ...rest };
  if (model === null) delete body.model;
  else body.model = model;
  if (req.stream) body.stream_options = { ...(req.stream_options ?? {}), include_usage: true };
  else delete body.stream_options;
  return body;
}

export interface OpenAIWireOptions {
  kind: ProviderKind;
  /** Provider name used in error messages. */
  label: string;
  chatUrl(target: UpstreamTarget): string;
  embeddingsUrl(target: UpstreamTarget): string;
  authHeaders(target: UpstreamTarget): Record<string, string>;
  /** Whether the body names the model (Azure takes it from the deployment path instead). */
  sendsModel(target: UpstreamTarget): boolean;
}

function headersFor(target: UpstreamTarget, o: OpenAIWireOptions): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.headers ?? {})) h[k.toLowerCase()] = v;
  return { ...h, ...o.authHeaders(target), "content-type": "application/json", accept: "application/json" };
}

export function createOpenAIWireAdapter(o: OpenAIWireOptions): ProviderAdapter {
  return {
    kind: o.kind,

    buildChatRequest(target, req): UpstreamHttpRequest {
      return {
        url: o.chatUrl(target),
        headers: headersFor(target, o),
        body: openAIChatBody(req, o.sendsModel(target) ? target.upstreamModel : null),
      };
    },

    parseChatResponse(json, ctx) {
      const parsed = completionSchema.safeParse(json);
      if (!parsed.success) throw invalidPayload(o.label, "chat completion");
      const c = parsed.data;
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
    },

    createStreamTransform(ctx: ChunkContext): StreamTransform {
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
              `${o.label} stream error${err.data.error.code ? ` (${err.data.error.code})` : ""}: ${err.data.error.message ?? "unknown"}`.slice(0, 300),
              err.data.error.code != null ? { providerCode: String(err.data.error.code) } : {},
            );
          }
          const parsed = chunkSchema.safeParse(json);
          if (!parsed.success) throw invalidPayload(o.label, "stream chunk");
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
    },

    mapError(status: number, bodyText: string, headers: HeaderBag) {
      const parsed = errorBodySchema.safeParse(safeJson(bodyText));
      const e = parsed.success ? parsed.data.error : undefined;
      const code = e?.code != null ? String(e.code) : (e?.type ?? undefined);
      return httpError(o.label, status, headers, { message: e?.message, code });
    },

    buildEmbeddingsRequest(target, req: EmbeddingsRequest): UpstreamHttpRequest {
      const body: Record<string, unknown> = { ...req };
      if (o.sendsModel(target)) body.model = target.upstreamModel;
      else delete body.model;
      return { url: o.embeddingsUrl(target), headers: headersFor(target, o), body };
    },

    parseEmbeddingsResponse(json, req) {
      const parsed = embeddingsSchema.safeParse(json);
      if (!parsed.success) throw invalidPayload(o.label, "embeddings response");
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
    },
  };
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

export const openAIAdapter: ProviderAdapter = createOpenAIWireAdapter({
  kind: "openai",
  label: "openai",
  chatUrl: (t) => joinUrl(t.baseUrl, "/chat/completions"),
  embeddingsUrl: (t) => joinUrl(t.baseUrl, "/embeddings"),
  authHeaders: (t) => ({ authorization: `Bearer ${t.apiKey}` }),
  sendsModel: () => true,
});
