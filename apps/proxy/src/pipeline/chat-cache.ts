// The response cache in the chat pipeline: the cache's dependencies for one tenant (its embedding models
// serve the semantic cache's queries), and answering a hit without any upstream call.
import type { CacheDeps, CacheHit } from "../cache/lookup.ts";
import { cacheHeaders, cacheHitBody, cacheHitChunks, cacheHitLogFields } from "../cache/lookup.ts";
import type { ExactCache } from "../cache/exact.ts";
import type { SemanticIndex } from "../cache/semantic.ts";
import type { TenantConfig } from "../config/snapshot.ts";
import type { ChatResponder } from "./chat.ts";
import type { RequestRecord } from "./record.ts";
import { callEmbeddingsUpstream } from "./upstream.ts";
import { formatUsd } from "./usd.ts";

export interface ProxyCache {
  exact: ExactCache | null;
  semantic: SemanticIndex | null;
  onError: CacheDeps["onError"];
}

export function cacheDepsFor(cache: ProxyCache, tenant: TenantConfig, signal: AbortSignal): CacheDeps {
  return {
    exact: cache.exact,
    semantic: cache.semantic,
    onError: cache.onError,
    async embed(modelName, text) {
      const model = tenant.models.get(modelName);
      if (!model || model.kind !== "embedding") throw new Error(`semantic cache embedding model ${modelName} is not an embedding model of this tenant`);
      const r = await callEmbeddingsUpstream(model, { model: modelName, input: text }, { signal, responseModel: modelName });
      const e = r.response.data[0]?.embedding;
      if (!Array.isArray(e)) throw new Error(`embedding model ${modelName} returned no float embedding`);
      return e;
    },
  };
}

/** A hit: the cached answer under this request's id, as JSON or a replayed stream, at no upstream cost. */
export async function serveCacheHit(
  record: RequestRecord,
  hit: CacheHit,
  responder: ChatResponder,
  opts: { requestedModel: string; stream: boolean; includeUsage: boolean },
): Promise<void> {
  const f = cacheHitLogFields(hit);
  record.cacheHit = f.cacheHit;
  record.costSavedMicros = f.costSavedMicros;
  record.inputTokens = f.inputTokens;
  record.outputTokens = f.outputTokens;
  record.tokensEstimated = false;
  record.finalModel = hit.cached.model;
  record.provider = hit.cached.provider;
  record.status = "success";
  record.httpStatus = 200;
  record.ttftMs = Date.now() - record.startedAt;
  const headers: Record<string, string> = { ...cacheHeaders(hit), "x-gateway-attempts": "0", "x-gateway-fallback": "false", "x-gateway-cost-usd": formatUsd(0n) };
  if (record.routeName) headers["x-gateway-route"] = record.routeName;
  headers["x-gateway-model"] = hit.cached.model;
  headers["x-gateway-provider"] = hit.cached.provider;
  const ids = { id: `chatcmpl-${record.id.replace(/^req_/, "")}`, created: Math.floor(record.startedAt / 1000), requestedModel: opts.requestedModel };
  if (!opts.stream) {
    const body = cacheHitBody(hit, ids);
    record.responseBody = body;
    responder.json(200, headers, body);
    return;
  }
  responder.streamStart(headers);
  for (const c of cacheHitChunks(hit, { ...ids, includeUsage: opts.includeUsage })) responder.streamChunk(c);
  await responder.streamEnd(null, { "x-gateway-cost-usd": formatUsd(0n) });
}
