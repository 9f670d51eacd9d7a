// The exact cache: the final chat.completion of a request, stored in Redis under the key from
// @gateway/policy/cache-key (tenant hash tag + route version + canonical request) for the route's TTL.
// Streaming clients get a cached answer replayed as chunks; a streamed miss is stored by assembling its
// chunks back into one completion, so both delivery modes share one entry.
import type { Cluster, Redis } from "ioredis";
import { z } from "zod";
import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  CompletionUsage,
  FinishReason,
  ToolCall,
} from "../providers/openai-types.ts";

export interface CachedResponse {
  completion: ChatCompletion;
  /** What the original upstream call cost; a hit saves this much. */
  costMicros: bigint;
  /** The model and provider that produced it, for the response headers and the log of a hit. */
  model: string;
  provider: string;
  /** When it was stored (ms since epoch), so a hit can report its age. */
  storedAt: number;
}

// Entries written by an older gateway with another shape are misses, not errors.
const ENTRY_VERSION = 1;
const storedEntrySchema = z.object({
  v: z.literal(ENTRY_VERSION),
  completion: z.object({ object: z.literal("chat.completion"), choices: z.array(z.unknown()) }).loose(),
  costMicros: z.string().regex(/^\d+$/),
  model: z.string(),
  provider: z.string(),
  storedAt: z.number(),
});

export class ExactCache {
  constructor(private readonly redis: Redis | Cluster) {}

  async get(key: string): Promise<CachedResponse | null> {
    const raw = await this.redis.get(key);
    if (raw === null) return null;
    const parsed = storedEntrySchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return null;
    const e = parsed.data;
    return {
      completion: e.completion as unknown as ChatCompletion,
      costMicros: BigInt(e.costMicros),
      model: e.model,
      provider: e.provider,
      storedAt: e.storedAt,
    };
  }

  /** A TTL of 0 means the route does not cache: nothing is written. */
  async set(key: string, value: CachedResponse, ttlSeconds: number): Promise<void> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) return;
    const entry = {
      v: ENTRY_VERSION,
      completion: value.completion,
      costMicros: value.costMicros.toString(),
      model: value.model,
      provider: value.provider,
      storedAt: value.storedAt,
    };
    await this.redis.set(key, JSON.stringify(entry), "EX", ttlSeconds);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }
}

/** `x-gateway-cache: no-store` skips both the lookup and the write for this request. */
export function cacheBypassed(headerValue: string | string[] | undefined): boolean {
  const values = Array.isArray(headerValue) ? headerValue : headerValue === undefined ? [] : [headerValue];
  return values.some((v) => v.split(",").some((t) => t.trim().toLowerCase() === "no-store"));
}

/** Only complete answers are worth replaying: a truncated or filtered one would be served again and again. */
export function isCacheable(completion: ChatCompletion): boolean {
  return (
    completion.choices.length > 0 &&
    completion.choices.every((c) => c.finish_reason === "stop" || c.finish_reason === "tool_calls")
  );
}

const DEFAULT_CHUNK_CHARS = 32;

function splitText(text: string, size: number): string[] {
  const codePoints = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < codePoints.length; i += size) pieces.push(codePoints.slice(i, i + size).join(""));
  return pieces;
}

export interface ReplayOptions {
  /** Send the final usage chunk (stream_options.include_usage). */
  includeUsage: boolean;
  /** Characters of content (and tool arguments) per chunk. */
  chunkChars?: number;
  /** The id and created time the replay carries; default: the cached completion's. */
  id?: string;
  created?: number;
}

/**
 * A cached completion as the chunk sequence an upstream stream would have produced: per choice a role delta,
 * content deltas, tool-call deltas (id, name, then argument pieces), a finish_reason chunk; then, if asked,
 * a usage chunk with no choices.
 */
export function replayAsStream(cached: ChatCompletion, opts: ReplayOptions): ChatCompletionChunk[] {
  const size = opts.chunkChars ?? DEFAULT_CHUNK_CHARS;
  const base = {
    id: opts.id ?? cached.id,
    object: "chat.completion.chunk" as const,
    created: opts.created ?? cached.created,
    model: cached.model,
    ...(cached.system_fingerprint !== undefined ? { system_fingerprint: cached.system_fingerprint } : {}),
  };
  const chunk = (choice: ChatCompletionChunkChoice): ChatCompletionChunk => ({ ...base, choices: [choice] });
  const out: ChatCompletionChunk[] = [];

  for (const choice of cached.choices) {
    const { index, message } = choice;
    out.push(chunk({ index, delta: { role: "assistant", content: "" }, finish_reason: null }));
    for (const piece of splitText(message.content ?? "", size)) {
      out.push(chunk({ index, delta: { content: piece }, finish_reason: null }));
    }
    if (message.refusal) out.push(chunk({ index, delta: { refusal: message.refusal }, finish_reason: null }));
    (message.tool_calls ?? []).forEach((call, toolIndex) => {
      out.push(
        chunk({
          index,
          delta: {
            tool_calls: [{ index: toolIndex, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }],
          },
          finish_reason: null,
        }),
      );
      for (const piece of splitText(call.function.arguments, size)) {
        out.push(chunk({ index, delta: { tool_calls: [{ index: toolIndex, function: { arguments: piece } }] }, finish_reason: null }));
      }
    });
    out.push(chunk({ index, delta: {}, finish_reason: choice.finish_reason }));
  }
  if (opts.includeUsage && cached.usage) out.push({ ...base, choices: [], usage: cached.usage });
  return out;
}

interface ChoiceBuilder {
  content: string;
  sawContent: boolean;
  refusal: string | null;
  toolCalls: Map<number, { id: string; name: string; arguments: string }>;
  finishReason: FinishReason | null;
}

/**
 * Chunks back into the chat.completion they stream: content and tool-call arguments concatenated per choice
 * (tool calls keyed by their delta index), the last finish_reason, and the usage of whichever chunk carries it.
 */
export function assembleChunks(chunks: readonly ChatCompletionChunk[]): ChatCompletion {
  const first = chunks[0];
  if (!first) throw new Error("assembleChunks: no chunks to assemble");
  const choices = new Map<number, ChoiceBuilder>();
  let usage: CompletionUsage | undefined;
  let systemFingerprint: string | null | undefined;

  for (const c of chunks) {
    if (c.usage) usage = c.usage;
    if (c.system_fingerprint != null) systemFingerprint = c.system_fingerprint;
    for (const ch of c.choices) {
      let b = choices.get(ch.index);
      if (!b) {
        b = { content: "", sawContent: false, refusal: null, toolCalls: new Map(), finishReason: null };
        choices.set(ch.index, b);
      }
      const d = ch.delta;
      if (typeof d.content === "string") {
        b.content += d.content;
        b.sawContent ||= d.content.length > 0;
      }
      if (typeof d.refusal === "string") b.refusal = (b.refusal ?? "") + d.refusal;
      for (const tc of d.tool_calls ?? []) {
        let t = b.toolCalls.get(tc.index);
        if (!t) {
          t = { id: "", name: "", arguments: "" };
          b.toolCalls.set(tc.index, t);
        }
        if (tc.id) t.id = tc.id;
        if (tc.function?.name) t.name += tc.function.name;
        if (tc.function?.arguments) t.arguments += tc.function.arguments;
      }
      if (ch.finish_reason) b.finishReason = ch.finish_reason;
    }
  }

  const assembled: ChatCompletionChoice[] = [...choices.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, b]) => {
      const toolCalls: ToolCall[] = [...b.toolCalls.entries()]
        .sort(([x], [y]) => x - y)
        .map(([, t]) => ({ id: t.id, type: "function", function: { name: t.name, arguments: t.arguments } }));
      return {
        index,
        message: {
          role: "assistant",
          // OpenAI sends content null on a pure tool-call answer; keep that shape.
          content: b.sawContent || toolCalls.length === 0 ? b.content : null,
          ...(b.refusal !== null ? { refusal: b.refusal } : {}),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: b.finishReason,
      };
    });

  return {
    id: first.id,
    object: "chat.completion",
    created: first.created,
    model: first.model,
    choices: assembled,
    ...(usage ? { usage } : {}),
    ...(systemFingerprint !== undefined ? { system_fingerprint: systemFingerprint } : {}),
  };
}
