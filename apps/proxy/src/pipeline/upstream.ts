// The pipeline's view of a provider call: snapshot model → UpstreamTarget, a stream split into its first
// chunk (which decides whether the attempt succeeded) and the rest, and any thrown error → AttemptFailure.
import { GatewayError } from "@gateway/policy/errors";
import type { ModelConfig } from "../config/snapshot.ts";
import { callChat, callEmbeddings } from "../providers/call.ts";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, EmbeddingsRequest, EmbeddingsResponse } from "../providers/openai-types.ts";
import { UpstreamError, type UpstreamTarget, type Usage } from "../providers/types.ts";
import type { AttemptFailure } from "./attempts.ts";

export type { Usage };

export interface ChatStream {
  /** Resolves with the first chunk, or rejects (TTFT timeout, upstream error before any output). */
  first(): Promise<ChatCompletionChunk>;
  /** The chunks after the first. */
  rest(): AsyncIterable<ChatCompletionChunk>;
  /** Final usage once the stream ended (null if the provider reported none and none could be counted). */
  usage(): Usage | null;
}

export type ChatCallResult = { kind: "json"; completion: ChatCompletion; usage: Usage | null } | ({ kind: "stream" } & ChatStream);

const targets = new WeakMap<ModelConfig, UpstreamTarget>();

/** Built once per model per snapshot (the WeakMap drops it with the snapshot). */
export function upstreamTarget(model: ModelConfig): UpstreamTarget {
  let t = targets.get(model);
  if (!t) {
    const p = model.provider;
    t = {
      kind: p.kind,
      baseUrl: p.baseUrl ?? defaultBaseUrl(p.kind),
      apiKey: p.apiKey ?? "",
      authStyle: p.authStyle === "api-key" ? "api-key" : "bearer",
      apiVersion: p.apiVersion,
      headers: p.headers,
      upstreamModel: model.upstreamModel,
    };
    targets.set(model, t);
  }
  return t;
}

function defaultBaseUrl(kind: ModelConfig["provider"]["kind"]): string {
  switch (kind) {
    case "openai":
    case "openai_compatible":
      return "https://api.openai.com/v1";
    case "anthropic":
      return "https://api.anthropic.com";
    case "gemini":
      return "https://generativelanguage.googleapis.com";
  }
}

export async function callChatUpstream(
  model: ModelConfig,
  req: ChatCompletionRequest,
  opts: { signal: AbortSignal; ttftTimeoutMs: number; responseModel: string },
): Promise<ChatCallResult> {
  const r = await callChat(upstreamTarget(model), req, opts);
  if (r.kind === "json") return { kind: "json", completion: r.completion, usage: r.usage };
  const it = r.chunks[Symbol.asyncIterator]();
  let firstPromise: Promise<ChatCompletionChunk> | null = null;
  const first = () =>
    (firstPromise ??= (async () => {
      const n = await it.next();
      if (n.done) throw new UpstreamError("connection_error", `${model.provider.name} ended the stream before any output`);
      return n.value;
    })());
  return {
    kind: "stream",
    first,
    rest: () => ({
      [Symbol.asyncIterator]: () => it,
    }),
    usage: () => {
      try {
        return r.usage();
      } catch {
        // The stream was never read to an end (a failed first chunk): nothing was produced to pay for.
        return null;
      }
    },
  };
}

export async function callEmbeddingsUpstream(
  model: ModelConfig,
  req: EmbeddingsRequest,
  opts: { signal: AbortSignal; responseModel: string },
): Promise<{ response: EmbeddingsResponse; usage: Usage | null }> {
  const r = await callEmbeddings(upstreamTarget(model), req, opts);
  return { response: r.response, usage: r.usage };
}

export function classifyUpstreamError(err: unknown): AttemptFailure {
  if (err instanceof UpstreamError) {
    return { failure: err.failure, status: err.status, retryAfterMs: err.retryAfterMs, message: err.message };
  }
  if (err instanceof GatewayError) {
    // An adapter refusing what its provider cannot carry: the client's request is at fault.
    return { failure: "client_error", status: err.httpStatus, retryAfterMs: null, message: err.message };
  }
  const name = err instanceof Error ? err.name : "";
  if (name === "AbortError" || name === "TimeoutError") {
    return { failure: "timeout", status: null, retryAfterMs: null, message: "the call was aborted" };
  }
  return { failure: "connection_error", status: null, retryAfterMs: null, message: "the upstream call failed" };
}
