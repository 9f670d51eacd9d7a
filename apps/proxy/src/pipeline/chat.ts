// The chat pipeline shared by /v1/chat/completions and /v1/messages: resolve the route, plan targets,
// admit (rate limits, budget reservation), run the attempt loop, answer (JSON or SSE through a
// responder that speaks the client's format), settle, and leave one log record behind.
import { GatewayError } from "@gateway/policy/errors";
import { costMicros as costOf, worstCaseCostMicros } from "@gateway/policy/budget";
import { stopError, type StopDecision } from "@gateway/policy/risk";
import { planRoute, upstreamMaxTokens, type PlannedTarget, type RoutePlan } from "@gateway/policy/routing";
import type { RiskLevel, TargetParams } from "@gateway/policy/route-spec";
import { validateOutput } from "@gateway/policy/validator";
import type { ModelConfig, RouteConfig, TenantConfig } from "../config/snapshot.ts";
import { priceAt } from "../config/snapshot.ts";
import type { ProxyDeps } from "../deps.ts";
import type { Admission } from "../ports.ts";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  CompletionUsage,
} from "../providers/openai-types.ts";
import { assembleChunks } from "../cache/exact.ts";
import { lookupCache, storeInCache, type CacheContext, type CacheDeps, type CacheMiss } from "../cache/lookup.ts";
import {
  applyInputGuardrails,
  checkOutput,
  GuardrailBlockedError,
  OutputStreamGuard,
  requestBodyForLog,
  responseTextForLog,
} from "../guardrails/index.ts";
import { runAttempts, type AttemptFailure, type AttemptResult } from "./attempts.ts";
import { cacheDepsFor, serveCacheHit } from "./chat-cache.ts";
import { openReviewItem } from "./review.ts";
import type { RequestRecord } from "./record.ts";
import { resolveModel } from "./resolve.ts";
import { estimateChatInputTokens } from "./tokens.ts";
import { callChatUpstream, classifyUpstreamError, type ChatStream, type Usage } from "./upstream.ts";
import { formatUsd } from "./usd.ts";

/** How a finished request is written to the client: OpenAI JSON/SSE, or Anthropic Messages. */
export interface ChatResponder {
  json(status: number, headers: Record<string, string>, completion: ChatCompletion): void;
  /** The first chunk is ready: send status and headers. */
  streamStart(headers: Record<string, string>): void;
  streamChunk(chunk: ChatCompletionChunk): void;
  /** Normal end; `usage` is the final count, for clients that asked for it. */
  streamEnd(usage: CompletionUsage | null, trailers: Record<string, string>): void | Promise<void>;
  /** The stream broke after its first byte: send an error event and end. */
  streamError(err: GatewayError): void | Promise<void>;
  error(err: unknown, headers: Record<string, string>): number;
  /** True once the client has gone away. */
  readonly closed: boolean;
  /** Fires when the client goes away before the response ended. */
  onClose(fn: () => void): void;
}

interface JsonResult {
  kind: "json";
  completion: ChatCompletion;
  usage: Usage | null;
}
interface StreamResult {
  kind: "stream";
  stream: ChatStream;
}

interface Served {
  model: ModelConfig;
  targetIndex: number;
}

const DEFAULT_MODEL_SPEC = { riskLevel: "low" as RiskLevel, retryLimit: 1, totalTimeoutMs: 60_000, ttftTimeoutMs: 15_000 };

function directPlan(model: ModelConfig, requestedMaxTokens: number | null): RoutePlan {
  const target: PlannedTarget = { model: model.name, params: {}, tier: 0, alternates: [], deployments: [{ model: model.name, params: {} }] };
  return { targets: [target], maxOutputTokens: requestedMaxTokens, upgradedBy: null };
}

function usageOf(u: Usage | null): { inputTokens: number; outputTokens: number; cachedInputTokens: number } {
  return { inputTokens: u?.inputTokens ?? 0, outputTokens: u?.outputTokens ?? 0, cachedInputTokens: u?.cachedTokens ?? 0 };
}

export function toCompletionUsage(u: { inputTokens: number; outputTokens: number; cachedTokens: number }): CompletionUsage {
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    ...(u.cachedTokens ? { prompt_tokens_details: { cached_tokens: u.cachedTokens } } : {}),
  };
}

export function attemptCost(model: ModelConfig, usage: Usage | null, at: number): bigint {
  const price = priceAt(model, at);
  if (!price) return 0n;
  return costOf(usageOf(usage), price);
}

/** The upstream request for one attempt: the target's parameter overrides and the plan's output cap. */
function upstreamRequest(body: ChatCompletionRequest, plan: RoutePlan, params: TargetParams, stream: boolean): ChatCompletionRequest {
  const req: ChatCompletionRequest = { ...body };
  if (params.temperature !== undefined) req.temperature = params.temperature;
  if (params.top_p !== undefined) req.top_p = params.top_p;
  if (params.seed !== undefined) req.seed = params.seed;
  const cap = upstreamMaxTokens(plan, params);
  if (cap !== null) {
    if (req.max_completion_tokens != null || req.max_tokens == null) {
      req.max_completion_tokens = cap;
      delete req.max_tokens;
    } else req.max_tokens = cap;
  }
  req.stream = stream;
  return req;
}

function reserveFor(tenant: TenantConfig, plan: RoutePlan, inputTokens: number, now: number): bigint {
  let worst = 0n;
  for (const t of plan.targets) {
    for (const d of t.deployments) {
      const m = tenant.models.get(d.model);
      if (!m) continue;
      const price = priceAt(m, now);
      if (!price) continue;
      const maxOut = Math.min(upstreamMaxTokens(plan, d.params) ?? m.maxOutputTokens, m.maxOutputTokens);
      const w = worstCaseCostMicros({ inputTokens, maxOutputTokens: maxOut, price });
      if (w > worst) worst = w;
    }
  }
  return worst;
}

function outputText(c: ChatCompletion): string {
  const msg = c.choices[0]?.message;
  if (!msg) return "";
  if (msg.content) return msg.content;
  // A forced tool call carries the structured output in its arguments.
  return msg.tool_calls?.[0]?.function.arguments ?? "";
}

export interface ChatRun {
  deps: ProxyDeps;
  record: RequestRecord;
  body: ChatCompletionRequest;
  responder: ChatResponder;
  /** The client asked for the usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
}

/** What runChat works out before serving: the request as it goes upstream and where to cache its answer. */
interface Prepared {
  upstreamBody: ChatCompletionRequest;
  cache: { deps: CacheDeps; ctx: CacheContext; miss: CacheMiss } | null;
  abort: AbortController;
}

export async function runChat(run: ChatRun): Promise<void> {
  const { deps, record, body, responder } = run;
  const key = record.key;
  const tenant = key.tenant;
  const now = record.startedAt;
  const stream = body.stream === true;
  record.requestedModel = body.model;
  record.stream = stream;
  // OpenAI's own `user` and `metadata` fields tag the request when the gateway headers do not.
  if (record.headers) {
    if (!record.headers.endUser && body.user) record.headers.endUser = body.user.slice(0, 256);
    if (!record.headers.metadata && body.metadata) record.headers.metadata = body.metadata;
  }

  const resolved = resolveModel(key, body.model, "chat");
  let route: RouteConfig | null = resolved.kind === "route" ? resolved.route : null;
  const inputTokens = estimateChatInputTokens(body);
  record.inputTokens = inputTokens;
  record.tokensEstimated = true;
  const requestedMax = body.max_completion_tokens ?? body.max_tokens ?? null;
  const facts = {
    inputTokens,
    userTier: record.headers?.userTier ?? null,
    workflow: record.headers?.workflow ?? null,
    requestedMaxTokens: requestedMax,
  };
  const planFor = (r: RouteConfig | null): RoutePlan => {
    if (r) {
      record.routeId = r.id;
      record.routeName = r.name;
      record.routeVersion = r.version;
      return planRoute(r, facts, deps.rng);
    }
    if (resolved.kind !== "model") throw new Error("unreachable: no route and no model");
    if (inputTokens > resolved.model.contextWindow) {
      throw new GatewayError("context_length_exceeded", `This request has about ${inputTokens} input tokens; model ${resolved.model.name} accepts ${resolved.model.contextWindow}.`, { param: "messages" });
    }
    return directPlan(resolved.model, requestedMax);
  };
  let plan = planFor(route);
  const abort = new AbortController();
  responder.onClose(() => abort.abort(new Error("client closed the connection")));

  // Input guardrails (a block throws, with its findings, before anything is spent), then the cache.
  const guardrails = route?.spec.guardrails ?? null;
  let upstreamBody = body;
  if (guardrails) {
    try {
      const g = applyInputGuardrails(body, guardrails);
      upstreamBody = g.request;
      if (g.findings.length) record.guardrailFindings = g.findings;
    } catch (err) {
      if (err instanceof GuardrailBlockedError) record.guardrailFindings = err.findings;
      throw err;
    }
  }
  if (tenant.logBodies) record.requestBody = requestBodyForLog(body, guardrails);
  let cache: Prepared["cache"] = null;
  if (route && deps.cache && (route.spec.cacheTtlSeconds > 0 || route.spec.semanticCache?.enabled)) {
    const cdeps = cacheDepsFor(deps.cache, tenant, abort.signal);
    const ctx: CacheContext = {
      tenantId: tenant.id,
      routeName: route.name,
      routeVersion: route.version,
      spec: route.spec,
      request: upstreamBody,
      cacheHeader: record.headers?.noStore ? "no-store" : undefined,
    };
    const found = await lookupCache(cdeps, ctx);
    if (found.status === "hit") {
      // A hit spends nothing upstream, so it is served without admission (no budget reservation to settle).
      await serveCacheHit(record, found, responder, { requestedModel: body.model, stream, includeUsage: run.includeUsage });
      return;
    }
    if (found.status === "miss") cache = { deps: cdeps, ctx, miss: found };
  }

  // A spent downgrade budget sends the request to a cheaper route, admitted again on that route.
  let admission: Admission | null = null;
  for (let hop = 0; hop < 2 && !admission; hop++) {
    const firstModel = plan.targets[0]!.model;
    const a = await deps.admission.admit({
      requestId: record.id,
      key,
      route,
      modelName: firstModel,
      inputTokens,
      estimatedTokens: inputTokens + (plan.maxOutputTokens ?? tenant.models.get(firstModel)?.maxOutputTokens ?? 0),
      reserveMicros: reserveFor(tenant, plan, inputTokens, now),
      now,
    });
    if (!a.downgradeRouteId) {
      admission = a;
      break;
    }
    const cheaper = tenant.routesById.get(a.downgradeRouteId);
    if (!cheaper || hop > 0) {
      throw new GatewayError("budget_exceeded", "The budget for this request is spent and no cheaper route can serve it.");
    }
    route = cheaper;
    record.downgraded = true;
    plan = planFor(route);
    // The answer of the cheaper route must not be cached as the original route's.
    cache = null;
    // The cheaper route's own input guardrails apply too (its output guardrails apply when it answers).
    if (route.spec.guardrails) {
      try {
        const g = applyInputGuardrails(upstreamBody, route.spec.guardrails);
        upstreamBody = g.request;
        if (g.findings.length) record.guardrailFindings = [...(record.guardrailFindings ?? []), ...g.findings];
      } catch (err) {
        if (err instanceof GuardrailBlockedError) record.guardrailFindings = err.findings;
        throw err;
      }
    }
  }
  if (!admission) throw new GatewayError("budget_exceeded", "The budget for this request is spent.");
  const admitted = admission;
  try {
    await serve(run, route, plan, admitted, { upstreamBody, cache, abort });
  } catch (err) {
    // Thrown after admission (not an answer the pipeline wrote): the caller records and answers it; the
    // record must not be finished before that.
    await deps.admission.settle(admitted, { costMicros: record.costMicros, inputTokens: record.inputTokens, outputTokens: record.outputTokens, now: Date.now() });
    throw err;
  }
  // The client has its answer (or is gone): log first, then turn the reservation into the real spend of
  // every attempt.
  record.finish();
  await deps.admission.settle(admitted, {
    costMicros: record.costMicros,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    now: Date.now(),
  });
}

function baseHeaders(record: RequestRecord, served: Served | null, admission: Admission): Record<string, string> {
  const h: Record<string, string> = { ...admission.headers };
  if (record.routeName) h["x-gateway-route"] = record.routeName;
  if (served) {
    h["x-gateway-model"] = served.model.name;
    h["x-gateway-provider"] = served.model.provider.name;
  }
  h["x-gateway-attempts"] = String(record.attempts.length);
  h["x-gateway-fallback"] = String(record.fallbackUsed);
  if (record.downgraded) h["x-gateway-downgraded"] = "true";
  return h;
}

async function serve(
  run: ChatRun,
  route: RouteConfig | null,
  plan: RoutePlan,
  admission: Admission,
  prepared: Prepared,
): Promise<void> {
  const { deps, record, body, responder } = run;
  const { abort } = prepared;
  const tenant = record.key.tenant;
  const spec = route?.spec ?? DEFAULT_MODEL_SPEC;
  const validator = route?.spec.validator ?? null;
  const guardrails = route?.spec.guardrails ?? null;
  const stream = body.stream === true;
  const deadline = record.startedAt + spec.totalTimeoutMs;

  const totalTimer = setTimeout(() => abort.abort(new Error("total timeout")), Math.max(0, deadline - Date.now()));
  const oneAttemptWorstCase = admission.reservedMicros;
  let lastClientError: GatewayError | null = null;

  try {
    const loop = await runAttempts<JsonResult | StreamResult>({
      risk: spec.riskLevel,
      retryLimit: spec.retryLimit,
      targets: plan.targets,
      validatorPresent: validator !== null,
      tenant,
      deadline,
      record,
      breakers: deps.breakers,
      rng: deps.rng,
      signal: abort.signal,
      onAttempt: (a, f) => {
        deps.metrics.attempts.inc({ target: a.target, outcome: f ? f.failure : "success" });
        // A client that hung up (logged as 499) is not an upstream error of the target.
        if (f && f.status !== 499) deps.metrics.upstreamErrors.inc({ target: a.target, failure: f.failure });
      },
      // Budgets hold across retries: admission reserved one attempt's worst case; once earlier attempts
      // have cost something (a partial stream, an output that failed validation), the next attempt's worst
      // case must fit on top of it, or the request stops with budget_exceeded.
      beforeRetry: async () => {
        const need = record.costMicros + oneAttemptWorstCase;
        if (need > admission.reservedMicros) await deps.admission.reserveMore(admission, need - admission.reservedMicros);
      },
      call: async (ctx): Promise<AttemptResult<JsonResult | StreamResult>> => {
        const req = upstreamRequest(prepared.upstreamBody, plan, ctx.params, stream);
        let result;
        try {
          result = await callChatUpstream(ctx.model, req, { signal: ctx.signal, ttftTimeoutMs: spec.ttftTimeoutMs, responseModel: body.model });
        } catch (err) {
          const f = classifyUpstreamError(err);
          if (err instanceof GatewayError && f.failure === "client_error") lastClientError = err;
          return { ok: false, failure: f };
        }
        if (result.kind === "json") {
          const cost = attemptCost(ctx.model, result.usage, record.startedAt);
          if (validator) {
            const v = validateOutput(validator, outputText(result.completion));
            if (!v.ok) {
              record.validatorResult = "fail";
              return { ok: false, failure: invalidOutput(v.reason, cost) };
            }
            record.validatorResult = "pass";
            return { ok: true, value: { kind: "json", completion: result.completion, usage: result.usage }, costMicros: cost, validator: "pass" };
          }
          return { ok: true, value: { kind: "json", completion: result.completion, usage: result.usage }, costMicros: cost };
        }
        // A stream: the attempt succeeds once its first chunk is here (TTFT is enforced by the adapter).
        // A medium-risk fallback must validate before anything reaches the client, so it is read whole.
        if (ctx.mustValidate && validator) {
          const buffered = await bufferStream(result).catch((err: unknown) => ({ error: classifyUpstreamError(err) }));
          if ("error" in buffered) return { ok: false, failure: buffered.error };
          const cost = attemptCost(ctx.model, buffered.usage, record.startedAt);
          const v = validateOutput(validator, buffered.text);
          if (!v.ok) {
            record.validatorResult = "fail";
            return { ok: false, failure: invalidOutput(v.reason, cost) };
          }
          record.validatorResult = "pass";
          record.ttftMs = buffered.firstAt - record.startedAt;
          return { ok: true, value: { kind: "stream", stream: buffered.replay }, costMicros: cost, validator: "pass" };
        }
        const first = await result.first().catch((err: unknown) => ({ error: classifyUpstreamError(err) }));
        if ("error" in first) return { ok: false, failure: first.error };
        record.ttftMs = Date.now() - record.startedAt;
        return { ok: true, value: { kind: "stream", stream: result }, costMicros: 0n };
      },
    });

    if (!loop.ok) {
      await stopRequest(run, route, loop.decision, loop.history, admission, lastClientError, loop.misconfigured);
      return;
    }

    const served: Served = { model: loop.model, targetIndex: loop.targetIndex };
    record.finalModel = served.model.name;
    record.provider = served.model.provider.name;
    record.fallbackUsed = loop.targetIndex > 0;
    if (record.fallbackUsed && record.routeName) deps.metrics.fallbacks.inc({ route: record.routeName });

    if (loop.value.kind === "json") {
      const { usage } = loop.value;
      let completion = loop.value.completion;
      const u = usageOf(usage);
      if (usage) {
        record.inputTokens = u.inputTokens;
        record.outputTokens = u.outputTokens;
        record.cachedTokens = u.cachedInputTokens;
        record.tokensEstimated = usage.estimated;
      }
      const servedCost = BigInt(record.attempts.at(-1)?.costMicros ?? "0");
      record.costMicros += servedCost;
      const headers = baseHeaders(record, served, admission);
      headers["x-gateway-cost-usd"] = formatUsd(record.costMicros);
      if (prepared.cache) headers["x-gateway-cache"] = "MISS";
      if (guardrails?.output) {
        const g = checkOutput(completion, guardrails, validator);
        if (g.findings.length) record.guardrailFindings = [...(record.guardrailFindings ?? []), ...g.findings];
        if (g.error) {
          record.status = "error";
          record.errorCode = g.error.code;
          record.httpStatus = g.error.httpStatus;
          responder.error(g.error, headers);
          return;
        }
        completion = g.completion;
      }
      // The client sees the route name it asked for, not the upstream's model id.
      const out: ChatCompletion = { ...completion, model: body.model, ...(usage ? { usage: toCompletionUsage(usage) } : {}) };
      record.httpStatus = 200;
      record.status = "success";
      if (tenant.logBodies) record.responseBody = logResponse(out, guardrails);
      responder.json(200, headers, out);
      if (prepared.cache) {
        void storeInCache(prepared.cache.deps, prepared.cache.ctx, prepared.cache.miss, {
          completion: out,
          costMicros: servedCost,
          model: served.model.name,
          provider: served.model.provider.name,
          now: Date.now(),
        });
      }
      return;
    }

    await pipeStream(run, loop.value.stream, served, admission, route, prepared);
  } finally {
    clearTimeout(totalTimer);
  }
}

function logResponse(c: ChatCompletion, guardrails: RouteConfig["spec"]["guardrails"]): ChatCompletion {
  if (!guardrails?.output?.pii) return c;
  return {
    ...c,
    choices: c.choices.map((ch) =>
      typeof ch.message.content === "string" ? { ...ch, message: { ...ch.message, content: responseTextForLog(ch.message.content, guardrails) } } : ch,
    ),
  };
}

function invalidOutput(reason: string, cost: bigint): AttemptFailure {
  return { failure: "invalid_output", status: 200, retryAfterMs: null, message: `output failed the validator: ${reason}`, costMicros: cost };
}

async function stopRequest(
  run: ChatRun,
  route: RouteConfig | null,
  decision: StopDecision,
  history: Parameters<typeof stopError>[1],
  admission: Admission,
  lastClientError: GatewayError | null,
  misconfigured: string[],
): Promise<void> {
  const { deps, record, responder } = run;
  let reviewItemId: string | null = null;
  if (decision.openReview && route && !responder.closed) {
    reviewItemId = await openReviewItem(deps.prisma, record, route, decision.code, history);
    record.reviewItemId = reviewItemId;
  }
  let err =
    decision.code === "invalid_request_error" && lastClientError
      ? lastClientError
      : stopError(decision, history, { reviewItemId });
  if (decision.code === "no_healthy_target" && misconfigured.length > 0) {
    err = new GatewayError("no_healthy_target", `No target of this route can be called: ${misconfigured.join("; ")}.`, { extra: err.extra });
  }
  record.status = "error";
  record.errorCode = err.code;
  record.httpStatus = decision.httpStatus === 499 ? 499 : err.httpStatus;
  if (responder.closed) return;
  const headers = baseHeaders(record, null, admission);
  headers["x-gateway-cost-usd"] = formatUsd(record.costMicros);
  responder.error(err, headers);
}

interface Buffered {
  text: string;
  usage: Usage | null;
  firstAt: number;
  replay: ChatStream;
}

/** Reads a whole stream (for outputs that must validate before the client sees them) into a replayable one. */
async function bufferStream(s: ChatStream): Promise<Buffered> {
  const chunks: ChatCompletionChunk[] = [];
  let text = "";
  let toolArgs = "";
  chunks.push(await s.first());
  const firstAt = Date.now();
  for await (const c of s.rest()) chunks.push(c);
  for (const c of chunks) {
    const d = c.choices[0]?.delta;
    if (d?.content) text += d.content;
    if (d?.tool_calls?.[0]?.function?.arguments) toolArgs += d.tool_calls[0].function.arguments;
  }
  const usage = s.usage();
  const replay: ChatStream = {
    first: async () => chunks[0]!,
    rest: async function* () {
      yield* chunks.slice(1);
    },
    usage: () => usage,
  };
  return { text: text || toolArgs, usage, firstAt, replay };
}

async function pipeStream(
  run: ChatRun,
  s: ChatStream,
  served: Served,
  admission: Admission,
  route: RouteConfig | null,
  prepared: Prepared,
): Promise<void> {
  const { record, responder } = run;
  const validator = route?.spec.validator ?? null;
  const guardrails = route?.spec.guardrails ?? null;
  const guard = new OutputStreamGuard(guardrails, validator);
  // A streamed miss is stored as one completion, assembled from its chunks.
  const kept: ChatCompletionChunk[] | null = prepared.cache ? [] : null;
  record.httpStatus = 200;
  const headers = baseHeaders(record, served, admission);
  if (prepared.cache) headers["x-gateway-cache"] = "MISS";
  responder.streamStart(headers);
  let text = "";
  let failed: AttemptFailure | null = null;
  const send = (c: ChatCompletionChunk) => {
    text += c.choices[0]?.delta.content ?? "";
    kept?.push(c);
    for (const out of guard.push(c)) responder.streamChunk(out);
  };
  try {
    const head = await s.first();
    if (head.choices.length > 0) send(head);
    for await (const c of s.rest()) {
      if (responder.closed) break;
      // Usage-only chunks are the adapter's business; the client gets one at the end if it asked.
      if (c.choices.length === 0) continue;
      send(c);
    }
  } catch (err) {
    failed = classifyUpstreamError(err);
  }
  const usage = s.usage();
  const u = usageOf(usage);
  if (usage) {
    record.inputTokens = u.inputTokens;
    record.outputTokens = u.outputTokens;
    record.cachedTokens = u.cachedInputTokens;
    record.tokensEstimated = usage.estimated;
  }
  const cost = attemptCost(served.model, usage, record.startedAt);
  record.costMicros += cost;
  const last = record.attempts.at(-1);
  if (last) last.costMicros = cost.toString();
  if (validator && !failed) {
    record.validatorResult = validateOutput(validator, text).ok ? "pass" : "fail";
  }
  if (failed || responder.closed) {
    record.midStreamFailure = true;
    record.status = "error";
    record.errorCode = failed?.failure === "timeout" ? "upstream_timeout" : "upstream_error";
    if (last) {
      last.errorCode = failed?.failure ?? "connection_error";
      last.failure = failed?.failure ?? "connection_error";
      last.message = `mid-stream: ${failed?.message ?? "client closed the connection"}`;
    }
    if (failed && !responder.closed) {
      await responder.streamError(
        new GatewayError(record.errorCode === "upstream_timeout" ? "upstream_timeout" : "upstream_error", `The stream from ${served.model.name} broke after it started: ${failed.message}. The gateway does not switch models mid-stream.`),
      );
    }
    return;
  }
  const checked = guard.finish();
  if (checked.findings.length) record.guardrailFindings = [...(record.guardrailFindings ?? []), ...checked.findings];
  for (const c of checked.release) if (c.choices.length > 0) responder.streamChunk(c);
  if (checked.error) {
    record.status = "error";
    record.errorCode = checked.error.code;
    await responder.streamError(checked.error);
    return;
  }
  record.status = "success";
  if (record.key.tenant.logBodies) record.responseBody = { streamed: true, text: responseTextForLog(text, guardrails) };
  await responder.streamEnd(
    run.includeUsage ? toCompletionUsage({ inputTokens: record.inputTokens, outputTokens: record.outputTokens, cachedTokens: record.cachedTokens }) : null,
    { "x-gateway-cost-usd": formatUsd(record.costMicros) },
  );
  if (prepared.cache && kept && kept.length > 0) {
    const completion = assembleChunks(kept);
    if (usage) completion.usage = toCompletionUsage(usage);
    void storeInCache(prepared.cache.deps, prepared.cache.ctx, prepared.cache.miss, {
      completion,
      costMicros: cost,
      model: served.model.name,
      provider: served.model.provider.name,
      now: Date.now(),
    });
  }
}
