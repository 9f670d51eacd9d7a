// OpenAI-format request transform: the client's request as it is, with the upstream model, usage always
// requested in streams, and the gateway's own `metadata` kept back. Shared by openai and openai_compatible,
// which differ only in URL and auth (OpenAIWireOptions).
import type { ChatCompletionRequest, EmbeddingsRequest } from "../openai-types.ts";
import type { ProviderKind, UpstreamHttpRequest, UpstreamTarget } from "../types.ts";

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
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

export function headersFor(target: UpstreamTarget, o: OpenAIWireOptions): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.headers ?? {})) h[k.toLowerCase()] = v;
  return { ...h, ...o.authHeaders(target), "content-type": "application/json", accept: "application/json" };
}

export function buildOpenAIChatRequest(
  o: OpenAIWireOptions,
  target: UpstreamTarget,
  req: ChatCompletionRequest,
): UpstreamHttpRequest {
  return {
    url: o.chatUrl(target),
    headers: headersFor(target, o),
    body: openAIChatBody(req, o.sendsModel(target) ? target.upstreamModel : null),
  };
}

export function buildOpenAIEmbeddingsRequest(
  o: OpenAIWireOptions,
  target: UpstreamTarget,
  req: EmbeddingsRequest,
): UpstreamHttpRequest {
  const body: Record<string, unknown> = { ...req };
  if (o.sendsModel(target)) body.model = target.upstreamModel;
  else delete body.model;
  return { url: o.embeddingsUrl(target), headers: headersFor(target, o), body };
}
