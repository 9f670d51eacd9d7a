// POST /v1/embeddings: the same resolve → plan → admit → attempts → settle path as chat, without streams
// or validators.
import type { ServerResponse } from "node:http";
import { GatewayError } from "@gateway/policy/errors";
import { costMicros as costOf, worstCaseCostMicros } from "@gateway/policy/budget";
import { stopError } from "@gateway/policy/risk";
import { planRoute, type RoutePlan } from "@gateway/policy/routing";
import type { RouteConfig } from "../config/snapshot.ts";
import { priceAt } from "../config/snapshot.ts";
import type { ProxyDeps } from "../deps.ts";
import { sendError, sendJson } from "../http/respond.ts";
import { parseEmbeddingsRequest, type EmbeddingsResponse } from "../providers/openai-types.ts";
import { runAttempts } from "./attempts.ts";
import type { RequestRecord } from "./record.ts";
import { resolveModel } from "./resolve.ts";
import { openReviewItem } from "./review.ts";
import { estimateEmbeddingInputTokens } from "./tokens.ts";
import { callEmbeddingsUpstream, classifyUpstreamError, type Usage } from "./upstream.ts";
import { formatUsd } from "./usd.ts";

export async function runEmbeddings(run: {
  deps: ProxyDeps;
  record: RequestRecord;
  body: unknown;
  res: ServerResponse;
  baseHeaders: Record<string, string>;
}): Promise<void> {
  const { deps, record, res } = run;
  const body = parseEmbeddingsRequest(run.body);
  const key = record.key;
  const tenant = key.tenant;
  record.requestedModel = body.model;
  record.requestBody = body;
  const resolved = resolveModel(key, body.model, "embedding");
  const inputTokens = estimateEmbeddingInputTokens(body.input);
  record.inputTokens = inputTokens;
  record.tokensEstimated = true;
  let route: RouteConfig | null = null;
  let plan: RoutePlan;
  if (resolved.kind === "route") {
    route = resolved.route;
    record.routeId = route.id;
    record.routeName = route.name;
    record.routeVersion = route.version;
    plan = planRoute(route, { inputTokens, userTier: record.headers?.userTier ?? null, workflow: record.headers?.workflow ?? null }, deps.rng);
  } else {
    plan = {
      targets: [{ model: resolved.model.name, params: {}, tier: 0, alternates: [], deployments: [{ model: resolved.model.name, params: {} }] }],
      maxOutputTokens: null,
      upgradedBy: null,
    };
  }
  let reserve = 0n;
  for (const t of plan.targets) {
    const m = tenant.models.get(t.model);
    const price = m ? priceAt(m, record.startedAt) : null;
    if (price) {
      const w = worstCaseCostMicros({ inputTokens, maxOutputTokens: 0, price });
      if (w > reserve) reserve = w;
    }
  }
  const admission = await deps.admission.admit({
    requestId: record.id,
    key,
    route,
    modelName: plan.targets[0]!.model,
    inputTokens,
    estimatedTokens: inputTokens,
    reserveMicros: reserve,
    now: record.startedAt,
  });
  if (admission.downgradeRouteId) {
    // Embeddings have no cheaper route to go to: a spent downgrade budget refuses them.
    throw new GatewayError("budget_exceeded", "The budget for this request is spent.");
  }
  const spec = route?.spec ?? { riskLevel: "low" as const, retryLimit: 1, totalTimeoutMs: 60_000 };
  const deadline = record.startedAt + spec.totalTimeoutMs;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error("total timeout")), Math.max(0, deadline - Date.now()));
  res.on("close", () => {
    if (!res.writableFinished) abort.abort(new Error("client closed the connection"));
  });
  let usage: Usage | null = null;
  try {
    const loop = await runAttempts<{ response: EmbeddingsResponse; usage: Usage | null }>({
      risk: spec.riskLevel,
      retryLimit: spec.retryLimit,
      targets: plan.targets,
      validatorPresent: false,
      tenant,
      deadline,
      record,
      breakers: deps.breakers,
      rng: deps.rng,
      signal: abort.signal,
      call: async (ctx) => {
        try {
          const r = await callEmbeddingsUpstream(ctx.model, body, { signal: ctx.signal, responseModel: body.model });
          const price = priceAt(ctx.model, record.startedAt);
          const cost = price && r.usage ? costOf({ inputTokens: r.usage.inputTokens, outputTokens: 0 }, price) : 0n;
          return { ok: true, value: r, costMicros: cost };
        } catch (err) {
          return { ok: false, failure: classifyUpstreamError(err) };
        }
      },
    });
    const headers: Record<string, string> = { ...run.baseHeaders, ...admission.headers };
    if (record.routeName) headers["x-gateway-route"] = record.routeName;
    headers["x-gateway-attempts"] = String(record.attempts.length);
    if (!loop.ok) {
      let reviewItemId: string | null = null;
      if (loop.decision.openReview && route) {
        reviewItemId = await openReviewItem(deps.prisma, record, route, loop.decision.code, loop.history);
        record.reviewItemId = reviewItemId;
      }
      const err = stopError(loop.decision, loop.history, { reviewItemId });
      record.status = "error";
      record.errorCode = err.code;
      record.httpStatus = err.httpStatus;
      headers["x-gateway-fallback"] = "false";
      headers["x-gateway-cost-usd"] = formatUsd(record.costMicros);
      if (!res.headersSent && !res.destroyed) sendError(res, err, "openai", headers);
      return;
    }
    usage = loop.value.usage;
    record.finalModel = loop.model.name;
    record.provider = loop.model.provider.name;
    record.fallbackUsed = loop.targetIndex > 0;
    if (usage) {
      record.inputTokens = usage.inputTokens;
      record.tokensEstimated = usage.estimated;
    }
    record.costMicros += BigInt(record.attempts.at(-1)?.costMicros ?? "0");
    record.status = "success";
    record.httpStatus = 200;
    headers["x-gateway-model"] = loop.model.name;
    headers["x-gateway-provider"] = loop.model.provider.name;
    headers["x-gateway-fallback"] = String(record.fallbackUsed);
    headers["x-gateway-cost-usd"] = formatUsd(record.costMicros);
    sendJson(res, 200, { ...loop.value.response, model: body.model }, headers);
  } catch (err) {
    clearTimeout(timer);
    await deps.admission.settle(admission, { costMicros: record.costMicros, inputTokens: record.inputTokens, outputTokens: 0, now: Date.now() });
    throw err;
  }
  clearTimeout(timer);
  record.finish();
  await deps.admission.settle(admission, { costMicros: record.costMicros, inputTokens: record.inputTokens, outputTokens: 0, now: Date.now() });
}
