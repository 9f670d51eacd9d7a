// OpenAI-format servers at a configured base URL: vLLM, Ollama, Mistral, Groq, DeepSeek (bearer auth,
// `{base}/chat/completions`) and Azure OpenAI (authStyle "api-key": `api-key` header, the deployment in the
// path, `api-version` in the query, no model in the body).
import { createOpenAIWireAdapter, joinUrl } from "../openai/adapter.ts";
import type { ProviderAdapter, UpstreamTarget } from "../types.ts";

const DEFAULT_AZURE_API_VERSION = "2024-10-21";

function azurePath(t: UpstreamTarget, op: "chat/completions" | "embeddings"): string {
  const version = encodeURIComponent(t.apiVersion || DEFAULT_AZURE_API_VERSION);
  return joinUrl(t.baseUrl, `/openai/deployments/${encodeURIComponent(t.upstreamModel)}/${op}?api-version=${version}`);
}

function withApiVersion(url: string, t: UpstreamTarget): string {
  if (!t.apiVersion) return url;
  return `${url}${url.includes("?") ? "&" : "?"}api-version=${encodeURIComponent(t.apiVersion)}`;
}

export const openAICompatibleAdapter: ProviderAdapter = createOpenAIWireAdapter({
  kind: "openai_compatible",
  label: "openai_compatible",
  chatUrl: (t) =>
    t.authStyle === "api-key"
      ? azurePath(t, "chat/completions")
      : withApiVersion(joinUrl(t.baseUrl, "/chat/completions"), t),
  embeddingsUrl: (t) =>
    t.authStyle === "api-key" ? azurePath(t, "embeddings") : withApiVersion(joinUrl(t.baseUrl, "/embeddings"), t),
  authHeaders: (t): Record<string, string> =>
    t.authStyle === "api-key" ? { "api-key": t.apiKey } : { authorization: `Bearer ${t.apiKey}` },
  sendsModel: (t) => t.authStyle !== "api-key",
});
