// Gemini generateContent / streamGenerateContent?alt=sse and batchEmbedContents ⇄ OpenAI shapes: the four
// transforms of this folder behind the ProviderAdapter interface.
import type { ProviderAdapter } from "../types.ts";
import { mapGeminiError } from "./errors.ts";
import { buildGeminiEmbeddingsRequest, buildGeminiRequest } from "./request.ts";
import { parseGeminiEmbeddings, parseGeminiResponse } from "./response.ts";
import { createGeminiStreamTransform } from "./stream.ts";

export const geminiAdapter: ProviderAdapter = {
  kind: "gemini",
  buildChatRequest: buildGeminiRequest,
  parseChatResponse: parseGeminiResponse,
  createStreamTransform: createGeminiStreamTransform,
  mapError: mapGeminiError,
  buildEmbeddingsRequest: buildGeminiEmbeddingsRequest,
  parseEmbeddingsResponse: (json, req) => parseGeminiEmbeddings(json, req),
};
