// What the rest of the proxy sees of a provider: a target to call, the usage it reports, and one error type
// whose `failure` tells the retry/fallback policy what went wrong. Adapters implement ProviderAdapter.
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from "./openai-types.ts";
import type { SseEvent } from "./sse.ts";

export type ProviderKind = "openai" | "openai_compatible" | "anthropic" | "gemini";

export interface UpstreamTarget {
  kind: ProviderKind;
  /** e.g. https://api.openai.com/v1, https://api.anthropic.com, https://generativelanguage.googleapis.com */
  baseUrl: string;
  apiKey: string;
  /** "api-key" is Azure OpenAI style (api-key header, deployments path); only meaningful for openai_compatible. */
  authStyle: "bearer" | "api-key";
  apiVersion?: string | null;
  /** Extra non-secret headers sent upstream. */
  headers?: Record<string, string>;
  /** The provider's model id, or the Azure deployment name. */
  upstreamModel: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** True when the provider reported nothing and the gateway counted with a tokenizer. */
  estimated: boolean;
}

export type FailureKind =
  "timeout" | "rate_limited" | "server_error" | "connection_error" | "invalid_output" | "client_error";

/** A failed upstream call. `message` is safe to show clients: it never carries keys or request bodies. */
export class UpstreamError extends Error {
  readonly failure: FailureKind;
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  readonly providerCode?: string;
  /** The caller's signal aborted the call (client gone or total timeout), not the provider. */
  readonly aborted: boolean;

  constructor(
    failure: FailureKind,
    message: string,
    opts: { status?: number | null; retryAfterMs?: number | null; providerCode?: string; aborted?: boolean } = {},
  ) {
    super(message);
    this.name = "UpstreamError";
    this.failure = failure;
    this.status = opts.status ?? null;
    this.retryAfterMs = opts.retryAfterMs ?? null;
    if (opts.providerCode !== undefined) this.providerCode = opts.providerCode;
    this.aborted = opts.aborted ?? false;
  }
}

export interface UpstreamHttpRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Per-call context adapters need to build OpenAI-shaped output (ids, model names, timestamps). */
export interface ChunkContext {
  id: string;
  created: number;
  model: string;
}

/** Turns one provider's SSE events into OpenAI chunks. Stateful: one per stream. */
export interface StreamTransform {
  /** Chunks for one event; throws UpstreamError for in-stream error events. */
  onEvent(event: SseEvent): ChatCompletionChunk[];
  /** True once the provider signalled a proper end; a stream ending before that was cut. */
  readonly finished: boolean;
  /** Usage reported in the stream, if any. */
  usage(): Usage | null;
}

export interface ProviderAdapter {
  kind: ProviderKind;
  /** Throws invalidRequest for what this provider cannot carry. */
  buildChatRequest(target: UpstreamTarget, req: ChatCompletionRequest): UpstreamHttpRequest;
  parseChatResponse(json: unknown, ctx: ChunkContext): { completion: ChatCompletion; usage: Usage | null };
  createStreamTransform(ctx: ChunkContext, req: ChatCompletionRequest): StreamTransform;
  /** An HTTP error response → UpstreamError (status, provider code, Retry-After). */
  mapError(status: number, bodyText: string, headers: Record<string, string | string[] | undefined>): UpstreamError;
  buildEmbeddingsRequest(target: UpstreamTarget, req: EmbeddingsRequest): UpstreamHttpRequest;
  parseEmbeddingsResponse(
    json: unknown,
    req: EmbeddingsRequest,
    target: UpstreamTarget,
  ): {
    response: EmbeddingsResponse;
    usage: Usage | null;
  };
}
