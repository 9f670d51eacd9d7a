// One upstream call: pick the adapter for the target, send, and hand back OpenAI-shaped output with usage.
// Usage is always known afterwards: reported by the provider, or counted with a tokenizer (estimated: true).
// A stream that ends without the provider's end marker throws, so a cut is never mistaken for an answer.
import { randomUUID } from "node:crypto";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  CompletionUsage,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from "./openai-types.ts";
import { adapterFor } from "./registry.ts";
import { readSse } from "./sse.ts";
import { FirstByteDeadline, readBoundedText, sendUpstream } from "./http.ts";
import { estimateChatInputTokens, estimateOutputTokens, countTokens } from "./token-estimate.ts";
import { UpstreamError, type ChunkContext, type UpstreamTarget, type Usage } from "./types.ts";
import { safeJson } from "./upstream-errors.ts";

export interface CallOptions {
  /** Aborts the upstream call: client disconnect, the route's total timeout. */
  signal: AbortSignal;
  /**
   * Abort with failure "timeout" when the first token is late: for a stream, the first chunk carrying output
   * (a provider preamble such as Anthropic's message_start does not count); otherwise the response headers.
   */
  ttftTimeoutMs?: number;
  /** The model name written into responses; defaults to the upstream model. */
  responseModel?: string;
}

export type ChatResult =
  | { kind: "json"; completion: ChatCompletion; usage: Usage }
  | {
      kind: "stream";
      chunks: AsyncIterable<ChatCompletionChunk>;
      /** Final usage; valid once iteration ended (normally or by throwing). */
      usage: () => Usage;
    };

export function toCompletionUsage(u: Usage): CompletionUsage {
  const out: CompletionUsage = {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
  };
  if (u.cachedTokens > 0) out.prompt_tokens_details = { cached_tokens: u.cachedTokens };
  return out;
}

function newContext(target: UpstreamTarget, opts: CallOptions): ChunkContext {
  return {
    id: `chatcmpl-${randomUUID().replace(/-/g, "")}`,
    created: Math.floor(Date.now() / 1000),
    model: opts.responseModel ?? target.upstreamModel,
  };
}

async function failFromResponse(
  target: UpstreamTarget,
  res: {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Parameters<typeof readBoundedText>[0];
  },
  deadline: FirstByteDeadline,
): Promise<never> {
  const text = await readBoundedText(res.body, deadline);
  throw adapterFor(target.kind).mapError(res.status, text, res.headers);
}

export async function callChat(
  target: UpstreamTarget,
  req: ChatCompletionRequest,
  opts: CallOptions,
): Promise<ChatResult> {
  const adapter = adapterFor(target.kind);
  // Build first: an unmappable request is the client's 400 and must not cost an upstream call.
  const httpReq = adapter.buildChatRequest(target, req);
  const ctx = newContext(target, opts);
  const deadline = new FirstByteDeadline(opts.signal, target.kind, opts.ttftTimeoutMs);

  let res;
  try {
    res = await sendUpstream(httpReq, deadline);
    if (!req.stream) deadline.clear(); // a whole answer arrives with its headers' first byte
    if (res.status < 200 || res.status >= 300) await failFromResponse(target, res, deadline);
  } catch (err) {
    deadline.dispose();
    throw err;
  }

  if (!req.stream) {
    try {
      const text = await readBodyText(res.body, deadline);
      const json = safeJson(text);
      if (json === undefined)
        throw new UpstreamError("server_error", `${target.kind} sent a response that is not JSON`);
      const { completion, usage } = adapter.parseChatResponse(json, ctx);
      const final = usage ?? (await estimateCompletionUsage(req, completion));
      if (!completion.usage) completion.usage = toCompletionUsage(final);
      return { kind: "json", completion, usage: final };
    } finally {
      deadline.dispose();
    }
  }

  const transform = adapter.createStreamTransform(ctx, req);
  const wantsUsage = req.stream_options?.include_usage === true;
  let finalUsage: Usage | null = null;
  const body = res.body;

  async function* iterate(): AsyncGenerator<ChatCompletionChunk> {
    const produced = { text: "", tools: new Map<string, { name: string; arguments: string }>() };
    let lastId = ctx.id;
    let lastSeen: ChatCompletionChunk | null = null;
    let outputStarted = false;
    const preamble: ChatCompletionChunk[] = [];
    const settleUsage = async () => {
      const reported = transform.usage();
      if (reported && transform.finished) {
        finalUsage = reported;
        return;
      }
      // Cut or abandoned: the provider's figures (if any) stop at the cut, so the output is counted here.
      const output = await estimateOutputTokens(produced.text, [...produced.tools.values()]);
      finalUsage = {
        inputTokens: reported?.inputTokens ?? (await estimateChatInputTokens(req)),
        outputTokens: Math.max(output, reported?.outputTokens ?? 0),
        cachedTokens: reported?.cachedTokens ?? 0,
        estimated: true,
      };
    };
    try {
      try {
        // Leaving this loop at the end marker must not destroy the body: that would abort the upstream
        // response and throw away its keep-alive connection, so every stream would pay a new connection.
        for await (const ev of readSse(body.iterator({ destroyOnReturn: false }))) {
          for (const chunk of transform.onEvent(ev)) {
            lastId = chunk.id;
            lastSeen = chunk;
            for (const ch of chunk.choices) {
              if (ch.delta.content) produced.text += ch.delta.content;
              for (const tc of ch.delta.tool_calls ?? []) {
                const key = `${ch.index}:${tc.index}`;
                const t = produced.tools.get(key) ?? { name: "", arguments: "" };
                t.name += tc.function?.name ?? "";
                t.arguments += tc.function?.arguments ?? "";
                produced.tools.set(key, t);
              }
            }
            // Usage-only chunks are re-emitted below, once, from the settled usage.
            if (chunk.choices.length === 0) continue;
            if (chunk.usage !== undefined) delete chunk.usage;
            if (!outputStarted) {
              // The first token, not a preamble (Anthropic's message_start), is what the TTFT limit
              // measures and what the caller commits to; the preamble waits and goes out with it.
              if (!carriesOutput(chunk)) {
                preamble.push(chunk);
                continue;
              }
              outputStarted = true;
              deadline.clear();
              yield* preamble;
              preamble.length = 0;
            }
            yield chunk;
          }
          if (transform.finished) break;
        }
        yield* preamble;
      } catch (err) {
        throw deadline.toError(err, "stream");
      }
      if (!transform.finished) {
        throw new UpstreamError("connection_error", `${target.kind} stream ended before its end marker`);
      }
      await settleUsage();
      if (wantsUsage && finalUsage) {
        yield {
          id: lastId,
          object: "chat.completion.chunk",
          created: (lastSeen as ChatCompletionChunk | null)?.created ?? ctx.created,
          model: ctx.model,
          choices: [],
          usage: toCompletionUsage(finalUsage),
        };
      }
    } finally {
      deadline.dispose();
      // Cut, failed or abandoned by the consumer: what was produced so far still has to be paid for.
      if (finalUsage === null) await settleUsage();
      // Stops the upstream transfer when the consumer leaves early (client gone) or on error. After the end
      // marker, whatever is left (usually just the end of the response) is read so the connection is reused;
      // an upstream that neither ends nor stops sending is cut.
      if (!body.destroyed) {
        if (transform.finished) {
          // dump() rejects only when that 5 s cut fires, which already destroyed the body: nothing is lost.
          body.dump({ limit: 64 * 1024, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
        }
        else body.destroy();
      }
    }
  }

  return {
    kind: "stream",
    chunks: iterate(),
    usage: () => {
      if (!finalUsage) throw new Error("stream usage read before the stream was consumed");
      return finalUsage;
    },
  };
}

function carriesOutput(chunk: ChatCompletionChunk): boolean {
  return chunk.choices.some(
    (c) => !!c.delta.content || (c.delta.tool_calls?.length ?? 0) > 0 || !!c.delta.refusal || c.finish_reason !== null,
  );
}

async function readBodyText(body: Parameters<typeof readBoundedText>[0], deadline: FirstByteDeadline): Promise<string> {
  try {
    return await body.text();
  } catch (err) {
    throw deadline.toError(err, "stream");
  }
}

async function estimateCompletionUsage(req: ChatCompletionRequest, c: ChatCompletion): Promise<Usage> {
  let out = 0;
  for (const ch of c.choices) {
    out += await estimateOutputTokens(
      ch.message.content ?? "",
      (ch.message.tool_calls ?? []).map((t) => ({ name: t.function.name, arguments: t.function.arguments })),
    );
  }
  return { inputTokens: await estimateChatInputTokens(req), outputTokens: out, cachedTokens: 0, estimated: true };
}

export async function callEmbeddings(
  target: UpstreamTarget,
  req: EmbeddingsRequest,
  opts: CallOptions,
): Promise<{ response: EmbeddingsResponse; usage: Usage }> {
  const adapter = adapterFor(target.kind);
  const httpReq = adapter.buildEmbeddingsRequest(target, req);
  const deadline = new FirstByteDeadline(opts.signal, target.kind, opts.ttftTimeoutMs);
  try {
    const res = await sendUpstream(httpReq, deadline);
    deadline.clear();
    if (res.status < 200 || res.status >= 300) await failFromResponse(target, res, deadline);
    const json = safeJson(await readBodyText(res.body, deadline));
    if (json === undefined) throw new UpstreamError("server_error", `${target.kind} sent a response that is not JSON`);
    const { response, usage } = adapter.parseEmbeddingsResponse(json, req, target);
    if (opts.responseModel) response.model = opts.responseModel;
    if (usage) return { response, usage };
    const inputs = typeof req.input === "string" ? [req.input] : req.input;
    let tokens = 0;
    for (const i of inputs) tokens += typeof i === "string" ? await countTokens(i) : Array.isArray(i) ? i.length : 1;
    response.usage = { prompt_tokens: tokens, total_tokens: tokens };
    return { response, usage: { inputTokens: tokens, outputTokens: 0, cachedTokens: 0, estimated: true } };
  } finally {
    deadline.dispose();
  }
}
