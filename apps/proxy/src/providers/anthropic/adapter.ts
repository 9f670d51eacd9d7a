// Anthropic Messages API ⇄ OpenAI Chat Completions: the four transforms of this folder behind the
// ProviderAdapter interface. Anthropic has no embeddings API, so those are refused as the client's error.
import { invalidRequest } from "@gateway/policy/errors";
import type { ProviderAdapter } from "../types.ts";
import { mapAnthropicError } from "./errors.ts";
import { buildAnthropicRequest } from "./request.ts";
import { parseAnthropicMessage } from "./response.ts";
import { createAnthropicStreamTransform } from "./stream.ts";

export const anthropicAdapter: ProviderAdapter = {
  kind: "anthropic",
  buildChatRequest: buildAnthropicRequest,
  parseChatResponse: parseAnthropicMessage,
  createStreamTransform: createAnthropicStreamTransform,
  mapError: mapAnthropicError,
  buildEmbeddingsRequest() {
    throw invalidRequest("model", "embeddings are not supported by provider anthropic");
  },
  parseEmbeddingsResponse() {
    throw invalidRequest("model", "embeddings are not supported by provider anthropic");
  },
};
