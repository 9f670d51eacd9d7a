// The cache as the chat pipeline sees it: one lookup before admission (exact first, then semantic where the
// route opts in), one store after a successful upstream answer, and what a hit turns into — the response
// (JSON or replayed stream), its headers, and the log fields (zero cost, the original cost saved).
import { exactCacheKey } from "@gateway/policy/cache-key";
import type { RouteVersionSpec } from "@gateway/policy/route-spec";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from "../providers/openai-types.ts";
import { cacheBypassed, isCacheable, replayAsStream, type CachedResponse, type ExactCache } from "./exact.ts";
import { semanticCacheApplies, semanticQueryText, type SemanticIndex } from "./semantic.ts";

/** Semantic entries need an expiry even on a route whose exact cache is off (cacheTtlSeconds 0). */
export const DEFAULT_SEMANTIC_TTL_SECONDS = 24 * 3600;

export interface CacheDeps {
  exact: ExactCache | null;
  semantic: SemanticIndex | null;
  /** The query's embedding, through the gateway's own embeddings path, with the route's embedding model. */
  embed: (model: string, text: string) => Promise<number[]>;
  /**
   * A cache that fails must not fail the request: the lookup becomes a miss and the store is skipped, and the
   * error goes here (metrics, log) instead of being lost.
   */
  onError: (stage: "exact_get" | "exact_set" | "embed" | "semantic_search" | "semantic_store", err: unknown) => void;
}

export interface CacheContext {
  tenantId: string;
  routeName: string;
  routeVersion: number;
  spec: Pick<RouteVersionSpec, "cacheTtlSeconds" | "semanticCache">;
  /** The request as it goes upstream (after input guardrails, so redacted text is what is keyed). */
  request: ChatCompletionRequest;
  /** The client's `x-gateway-cache` request header. */
  cacheHeader: string | string[] | undefined;
}

export interface CacheHit {
  status: "hit";
  kind: "exact" | "semantic";
  cached: CachedResponse;
  /** Cosine similarity of a semantic hit; null for an exact one. */
  similarity: number | null;
}

export interface CacheMiss {
  status: "miss";
  /** Where to store the answer, or null when the exact cache is off for this route. */
  exactKey: string | null;
  /** The embedded query, to store with the answer, or null when the semantic cache does not apply. */
  semantic: { embedding: number[]; queryText: string } | null;
}

export type CacheLookup = CacheHit | CacheMiss | { status: "bypass" };

function exactEnabled(deps: CacheDeps, ctx: CacheContext): boolean {
  return deps.exact !== null && ctx.spec.cacheTtlSeconds > 0;
}

function semanticEnabled(deps: CacheDeps, ctx: CacheContext): boolean {
  return deps.semantic !== null && ctx.spec.semanticCache?.enabled === true && semanticCacheApplies(ctx.request);
}

export async function lookupCache(deps: CacheDeps, ctx: CacheContext): Promise<CacheLookup> {
  if (cacheBypassed(ctx.cacheHeader)) return { status: "bypass" };
  const useExact = exactEnabled(deps, ctx);
  const useSemantic = semanticEnabled(deps, ctx);
  if (!useExact && !useSemantic) return { status: "bypass" };

  let exactKey: string | null = null;
  if (useExact) {
    exactKey = exactCacheKey({ tenantId: ctx.tenantId, routeName: ctx.routeName, routeVersion: ctx.routeVersion, request: ctx.request });
    try {
      const cached = await deps.exact!.get(exactKey);
      if (cached) return { status: "hit", kind: "exact", cached, similarity: null };
    } catch (err) {
      deps.onError("exact_get", err);
    }
  }

  let semantic: CacheMiss["semantic"] = null;
  const sc = ctx.spec.semanticCache;
  if (useSemantic && sc) {
    const queryText = semanticQueryText(ctx.request.messages);
    let embedding: number[] | null = null;
    if (queryText) {
      try {
        embedding = await deps.embed(sc.embeddingModel, queryText);
      } catch (err) {
        deps.onError("embed", err);
      }
    }
    if (embedding) {
      semantic = { embedding, queryText };
      try {
        const r = await deps.semantic!.search({
          tenantId: ctx.tenantId,
          routeName: ctx.routeName,
          routeVersion: ctx.routeVersion,
          embedding,
          threshold: sc.threshold,
        });
        if (r?.hit) {
          const cached: CachedResponse = { completion: r.response, costMicros: r.costMicros, model: r.response.model, provider: "cache", storedAt: 0 };
          return { status: "hit", kind: "semantic", cached, similarity: r.similarity };
        }
      } catch (err) {
        deps.onError("semantic_search", err);
      }
    }
  }
  return { status: "miss", exactKey, semantic };
}

export interface StoreInput {
  completion: ChatCompletion;
  /** What the upstream call cost (the last, successful attempt): what a later hit saves. */
  costMicros: bigint;
  model: string;
  provider: string;
  now: number;
}

/** Store a successful answer where the miss said to. Truncated or filtered answers are not stored. */
export async function storeInCache(deps: CacheDeps, ctx: CacheContext, miss: CacheMiss, input: StoreInput): Promise<void> {
  if (!isCacheable(input.completion)) return;
  if (miss.exactKey && deps.exact) {
    try {
      await deps.exact.set(
        miss.exactKey,
        { completion: input.completion, costMicros: input.costMicros, model: input.model, provider: input.provider, storedAt: input.now },
        ctx.spec.cacheTtlSeconds,
      );
    } catch (err) {
      deps.onError("exact_set", err);
    }
  }
  const sc = ctx.spec.semanticCache;
  if (miss.semantic && deps.semantic && sc) {
    try {
      await deps.semantic.store({
        tenantId: ctx.tenantId,
        routeName: ctx.routeName,
        routeVersion: ctx.routeVersion,
        embedding: miss.semantic.embedding,
        queryText: miss.semantic.queryText,
        response: input.completion,
        costMicros: input.costMicros,
        ttlSeconds: ctx.spec.cacheTtlSeconds > 0 ? ctx.spec.cacheTtlSeconds : DEFAULT_SEMANTIC_TTL_SECONDS,
        maxEntries: sc.maxEntries,
      });
    } catch (err) {
      deps.onError("semantic_store", err);
    }
  }
}

/** Response headers for the cache outcome: `x-gateway-cache: HIT|MISS`, and what kind of hit. */
export function cacheHeaders(lookup: CacheLookup): Record<string, string> {
  if (lookup.status !== "hit") return { "x-gateway-cache": "MISS" };
  const h: Record<string, string> = { "x-gateway-cache": "HIT", "x-gateway-cache-kind": lookup.kind };
  if (lookup.similarity !== null) h["x-gateway-cache-similarity"] = lookup.similarity.toFixed(4);
  return h;
}

/** The request-log fields of a hit: no upstream cost, the original call's cost saved, its token counts. */
export function cacheHitLogFields(hit: CacheHit): {
  cacheHit: "exact" | "semantic";
  costMicros: bigint;
  costSavedMicros: bigint;
  inputTokens: number;
  outputTokens: number;
} {
  const usage = hit.cached.completion.usage;
  return {
    cacheHit: hit.kind,
    costMicros: 0n,
    costSavedMicros: hit.cached.costMicros,
    inputTokens: usage?.prompt_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
  };
}

/**
 * What a hit sends the client: the cached completion under this request's id, time and requested model name
 * (JSON), or the same replayed as chunks (stream), with the usage chunk only if the client asked for it.
 */
export function cacheHitBody(
  hit: CacheHit,
  opts: { id: string; created: number; requestedModel: string },
): ChatCompletion {
  return { ...hit.cached.completion, id: opts.id, created: opts.created, model: opts.requestedModel };
}

export function cacheHitChunks(
  hit: CacheHit,
  opts: { id: string; created: number; requestedModel: string; includeUsage: boolean },
): ChatCompletionChunk[] {
  return replayAsStream(cacheHitBody(hit, opts), { includeUsage: opts.includeUsage });
}
