// OpenAI Chat Completions and Embeddings: the four transforms of this folder behind the ProviderAdapter
// interface. createOpenAIWireAdapter is reused by openai-compatible with its own URL and auth.
import type { ProviderAdapter } from "../types.ts";
import { mapOpenAIError } from "./errors.ts";
import { buildOpenAIChatRequest, buildOpenAIEmbeddingsRequest, joinUrl, type OpenAIWireOptions } from "./request.ts";
import { parseOpenAICompletion, parseOpenAIEmbeddings } from "./response.ts";
import { createOpenAIStreamTransform } from "./stream.ts";

export { joinUrl, type OpenAIWireOptions };

export function createOpenAIWireAdapter(o: OpenAIWireOptions): ProviderAdapter {
  return {
    kind: o.kind,
    buildChatRequest: (target, req) => buildOpenAIChatRequest(o, target, req),
    parseChatResponse: (json, ctx) => parseOpenAICompletion(o.label, json, ctx),
    createStreamTransform: (ctx) => createOpenAIStreamTransform(o.label, ctx),
    mapError: (status, bodyText, headers) => mapOpenAIError(o.label, status, bodyText, headers),
    buildEmbeddingsRequest: (target, req) => buildOpenAIEmbeddingsRequest(o, target, req),
    parseEmbeddingsResponse: (json, req) => parseOpenAIEmbeddings(o.label, json, req),
  };
}

export const openAIAdapter: ProviderAdapter = createOpenAIWireAdapter({
  kind: "openai",
  label: "openai",
  chatUrl: (t) => joinUrl(t.baseUrl, "/chat/completions"),
  embeddingsUrl: (t) => joinUrl(t.baseUrl, "/embeddings"),
  authHeaders: (t) => ({ authorization: `Bearer ${t.apiKey}` }),
  sendsModel: () => true,
});
