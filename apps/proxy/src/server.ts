// The proxy's HTTP server on plain node:http: routing by method and path, key auth, and the lifecycle
// (config snapshot, Redis, Postgres, log writer) with a graceful close that stops accepting, lets
// in-flight requests finish and drains the log writer.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createPrisma } from "@gateway/db";
import { GatewayError } from "@gateway/policy/errors";
import { Redis } from "ioredis";
import pg from "pg";
import { ExactCache } from "./cache/exact.ts";
import { detectSemanticIndex } from "./cache/semantic.ts";
import type { ProxyCache } from "./pipeline/chat-cache.ts";
import { authenticate } from "./auth.ts";
import { createConfigStore } from "./config/store.ts";
import type { KeyConfig } from "./config/snapshot.ts";
import type { ProxyDeps } from "./deps.ts";
import { createEnforcer } from "./enforcement/enforcer.ts";
import { createEnforcementRedis } from "./enforcement/redis-client.ts";
import { pgSpendSource } from "./enforcement/spend-source.ts";
import type { ProxyEnv } from "./env.ts";
import { OpenAIResponder } from "./http/openai-responder.ts";
import { parseJsonBody, readBody, sendError, sendJson, type ErrorShape } from "./http/respond.ts";
import { LastUsedTracker } from "./last-used.ts";
import { createRequestLogWriter } from "./logging/writer.ts";
import { ProxyMetrics } from "./metrics.ts";
import { runChat } from "./pipeline/chat.ts";
import { runEmbeddings } from "./pipeline/embeddings.ts";
import { recordFeedback } from "./pipeline/feedback.ts";
import { parseGatewayHeaders } from "./pipeline/gateway-headers.ts";
import { toLogRow } from "./pipeline/log-row.ts";
import { handleMessages } from "./pipeline/messages.ts";
import { findModelForKey, listModelsForKey } from "./pipeline/models.ts";
import { newRecord, type Endpoint } from "./pipeline/record.ts";
import { parseChatCompletionRequest } from "./providers/openai-types.ts";
import { RecentRequests } from "./recent-requests.ts";
import { enforcerAdmission } from "./wiring.ts";
import { breakerGate } from "./resilience/gate.ts";
import { createCircuitBreakers } from "./resilience/breaker.ts";
import { assertPublicUpstream } from "./enforcement/ssrf.ts";
import { guardUpstreamAddresses } from "./providers/http.ts";

export interface StartProxyOptions {
  env: ProxyEnv;
  /** Log writer's Postgres, when it must differ from DATABASE_URL (tests point it at a connection cutter). */
  logDatabaseUrl?: string;
  /** Log writer tuning (tests flush faster). */
  logWriter?: { flushIntervalMs?: number; maxBatch?: number; maxMemoryRows?: number; closeTimeoutMs?: number };
  lastUsedIntervalMs?: number;
  /** How long close() lets in-flight requests run before cutting their connections (default 30 s). */
  closeGraceMs?: number;
  onError?: (err: unknown, context: string) => void;
}

export interface RunningProxy {
  url: string;
  port: number;
  /** Graceful: stop accepting, finish in-flight requests, drain the log writer, close connections. */
  close(): Promise<void>;
  /** Rebuild the configuration snapshot now. */
  reloadConfig(): Promise<void>;
  /** Write every queued request log row now (tests read rows right after their requests). */
  flushLogs(): Promise<void>;
  metrics: ProxyMetrics;
}

function newRequestId(): string {
  return `req_${randomUUID().replaceAll("-", "")}`;
}

export async function startProxy(opts: StartProxyOptions): Promise<RunningProxy> {
  const { env } = opts;
  const onError = opts.onError ?? ((err: unknown, context: string) => console.error(`[proxy] ${context}:`, err instanceof Error ? err.message : err));
  const prisma = createPrisma(env.DATABASE_URL, { max: 5 });
  const redis = createEnforcementRedis(env.REDIS_URL);
  const subscriber = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
  redis.on("error", (e) => onError(e, "redis"));
  subscriber.on("error", (e) => onError(e, "redis subscriber"));
  const metrics = new ProxyMetrics();
  guardUpstreamAddresses({ allowPrivate: env.GATEWAY_ALLOW_PRIVATE_UPSTREAMS });

  const config = await createConfigStore({
    prisma,
    subscriber,
    pollMs: env.GATEWAY_CONFIG_POLL_MS,
    snapshot: {
      secretKey: env.GATEWAY_SECRET_KEY,
      checkUpstream: (url: string) => assertPublicUpstream(url, { allowPrivate: env.GATEWAY_ALLOW_PRIVATE_UPSTREAMS }),
    },
    onReload: (_s, scope) => metrics.configReloads.inc({ outcome: "ok", scope }),
    onError: (err) => {
      metrics.configReloads.inc({ outcome: "error" });
      onError(err, "config reload");
    },
  });

  const logs = createRequestLogWriter({
    databaseUrl: opts.logDatabaseUrl ?? env.DATABASE_URL,
    journalDir: env.GATEWAY_JOURNAL_DIR,
    ...opts.logWriter,
    onError: (err, context) => onError(err, `log writer: ${context}`),
  });
  const spendPool = { query: (sql: string, params: unknown[]) => prisma.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params).then((rows) => ({ rows })) };
  const enforcer = createEnforcer({
    redis,
    spendSource: pgSpendSource(spendPool),
    onBackgroundError: (err) => onError(err, "enforcement"),
    // Alert events themselves come from the worker's rules over rollups; the proxy counts what it saw first.
    onAlert: (alert) => metrics.budgetAlerts.inc({ kind: alert.kind }),
  });

  // The semantic cache's index: pgvector where the database has it, exact cosine search otherwise.
  const cachePool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 3 });
  cachePool.on("error", (err) => onError(err, "cache pool"));
  const semantic = await detectSemanticIndex((sql, params) => cachePool.query(sql, params)).catch((err: unknown) => {
    onError(err, "semantic cache disabled");
    return null;
  });
  const cache: ProxyCache = {
    exact: new ExactCache(redis),
    semantic: semantic?.index ?? null,
    onError: (stage, err) => {
      metrics.cacheErrors.inc({ stage });
      onError(err, `cache ${stage}`);
    },
  };

  const breakers = createCircuitBreakers({ redis, onError: (err, context) => onError(err, `breaker: ${context}`) });
  const deps: ProxyDeps = {
    secretKey: env.GATEWAY_SECRET_KEY,
    prisma,
    config,
    metrics,
    recent: new RecentRequests(),
    lastUsed: new LastUsedTracker(prisma, opts.lastUsedIntervalMs ?? 10_000, (err) => onError(err, "last_used_at")),
    logs,
    admission: enforcerAdmission(enforcer),
    breakers: breakerGate(breakers),
    rng: Math.random,
    cache,
  };

  metrics.addGauge({
    name: "gateway_log_queue_depth",
    help: "Request log rows waiting in memory or in the journal.",
    read: () => {
      const s = logs.stats();
      return [
        { labels: { where: "memory" }, value: s.queued },
        { labels: { where: "journal" }, value: s.journaled },
      ];
    },
  });
  metrics.addGauge({
    name: "gateway_breaker_state",
    help: "Circuit breaker state per target as this proxy last saw it: 0 closed, 1 half-open, 2 open.",
    read: () =>
      breakers.snapshot().map((b) => ({
        labels: { tenant: b.tenantId, target: b.target },
        value: b.state === "open" ? 2 : b.state === "half_open" ? 1 : 0,
      })),
  });
  metrics.addGauge({
    name: "gateway_log_lag_seconds",
    help: "Age of the oldest request log row not yet in Postgres.",
    read: () => [{ labels: {}, value: logs.stats().lagMs / 1000 }],
  });
  metrics.addGauge({
    name: "gateway_config_age_seconds",
    help: "Seconds since the configuration snapshot was built.",
    read: () => {
      const s = config.current();
      return s ? [{ labels: {}, value: (Date.now() - s.loadedAt) / 1000 }] : [];
    },
  });
  metrics.addGauge({
    name: "gateway_in_flight_requests",
    help: "Requests being served.",
    read: () => [{ labels: {}, value: inFlight.size }],
  });
  // Process health for soak runs and dashboards: resident memory, and event-loop delay since the last scrape.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  metrics.addGauge({
    name: "gateway_process_resident_memory_bytes",
    help: "Resident set size of the proxy process.",
    read: () => [{ labels: {}, value: process.memoryUsage.rss() }],
  });
  metrics.addGauge({
    name: "gateway_event_loop_delay_seconds",
    help: "Event-loop delay percentiles since the previous scrape.",
    read: () => {
      const out = [
        { labels: { quantile: "0.5" }, value: loopDelay.percentile(50) / 1e9 },
        { labels: { quantile: "0.99" }, value: loopDelay.percentile(99) / 1e9 },
        { labels: { quantile: "1" }, value: loopDelay.max / 1e9 },
      ];
      loopDelay.reset();
      return out;
    },
  });

  const inFlight = new Set<Promise<void>>();
  let closing = false;

  const server = createServer({ keepAliveTimeout: 5_000, requestTimeout: 0 }, (req, res) => {
    const p = route(req, res).catch((err: unknown) => {
      onError(err, "unhandled request error");
      if (!res.headersSent) sendError(res, err, "openai");
      else res.destroy();
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });
  // Requests node's HTTP parser refuses before our handler runs (headers over 16 KiB, malformed request
  // lines) still get an answer in OpenAI's error shape instead of a bare status line.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      error: {
        message: tooLarge ? "request headers are larger than the server accepts (16 KiB)" : "malformed HTTP request",
        type: "invalid_request_error",
        param: tooLarge ? "headers" : null,
        code: "invalid_request_error",
      },
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!;
    const method = req.method ?? "GET";
    if (method === "GET" && path === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (method === "GET" && path === "/readyz") return readyz(res);
    if (method === "GET" && path === "/metrics") {
      const text = metrics.render();
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "content-length": Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (method === "POST" && path === "/v1/chat/completions") return api(req, res, "chat", "openai");
    if (method === "POST" && path === "/v1/embeddings") return api(req, res, "embeddings", "openai");
    if (method === "POST" && path === "/v1/messages") return api(req, res, "messages", "anthropic");
    if (method === "GET" && path === "/v1/models") return simple(req, res, async (key) => listModelsForKey(key, config.current()!.loadedAt));
    if (method === "GET" && path.startsWith("/v1/models/")) {
      const id = decodeURIComponent(path.slice("/v1/models/".length));
      return simple(req, res, async (key) => {
        const m = findModelForKey(key, id, config.current()!.loadedAt);
        if (!m) throw new GatewayError("model_not_found", `no route or model named ${id} that this key may call`, { param: "model" });
        return m;
      });
    }
    if (method === "POST" && path === "/v1/feedback") {
      return simple(req, res, async (key) => {
        const body = parseJsonBody(await readBody(req));
        return recordFeedback(prisma, deps.recent, key, body);
      });
    }
    sendError(res, new GatewayError("not_found", `no endpoint ${method} ${path}`), path === "/v1/messages" ? "anthropic" : "openai");
  }

  async function readyz(res: ServerResponse): Promise<void> {
    const [pgOk, redisOk] = await Promise.all([
      prisma.$queryRawUnsafe("SELECT 1").then(
        () => true,
        () => false,
      ),
      redis.ping().then(
        (r) => r === "PONG",
        () => false,
      ),
    ]);
    const snap = config.current();
    const ready = pgOk && redisOk && snap !== null && !closing;
    sendJson(res, ready ? 200 : 503, {
      status: ready ? "ready" : "not_ready",
      postgres: pgOk ? "ok" : "unreachable",
      redis: redisOk ? "ok" : "unreachable",
      config: snap ? { loaded: true, loadedAt: new Date(snap.loadedAt).toISOString(), tenants: snap.tenants.size, lastError: config.lastError() } : { loaded: false, lastError: config.lastError() },
      closing,
      semanticCache: semantic ? { kind: semantic.kind, reason: semantic.reason } : { kind: "off" },
      unusableProviders: snap?.unusableProviders ?? [],
      brokenRoutes: snap?.brokenRoutes ?? [],
    });
  }

  function authed(req: IncomingMessage, res: ServerResponse, shape: ErrorShape, requestId: string): KeyConfig | null {
    const snap = config.current();
    if (!snap) {
      sendError(res, new GatewayError("service_unavailable", "the gateway has not loaded its configuration yet"), shape, { "x-request-id": requestId });
      return null;
    }
    try {
      return authenticate(req.headers, snap, env.GATEWAY_SECRET_KEY, Date.now());
    } catch (err) {
      // 401s are not logged: without a key there is no tenant to log them under.
      metrics.requests.inc({ endpoint: "auth", route: "", status: "401" });
      sendError(res, err, shape, { "x-request-id": requestId });
      return null;
    }
  }

  async function simple(req: IncomingMessage, res: ServerResponse, fn: (key: KeyConfig) => Promise<unknown>): Promise<void> {
    const requestId = newRequestId();
    const key = authed(req, res, "openai", requestId);
    if (!key) return;
    try {
      sendJson(res, 200, await fn(key), { "x-request-id": requestId });
    } catch (err) {
      sendError(res, err, "openai", { "x-request-id": requestId });
    }
  }

  async function api(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, shape: ErrorShape): Promise<void> {
    const requestId = newRequestId();
    const key = authed(req, res, shape, requestId);
    if (!key) return;
    const now = Date.now();
    const record = newRecord(requestId, key, endpoint, now);
    deps.lastUsed.mark(key.id, record.createdAt);
    deps.recent.remember(requestId, { tenantId: key.tenant.id, apiKeyId: key.id, createdAt: record.createdAt });
    const base = { "x-request-id": requestId };
    let finished = false;
    record.finish = () => {
      if (finished) return;
      finished = true;
      const endedAt = Date.now();
      if (!record.badInput) logs.enqueue(toLogRow(record, endedAt));
      const routeLabel = record.routeName ?? record.requestedModel;
      metrics.requests.inc({ endpoint, route: routeLabel, status: String(record.httpStatus) });
      metrics.latency.observe({ endpoint, route: routeLabel }, (endedAt - record.startedAt) / 1000);
      if (record.ttftMs !== null) metrics.ttft.observe({ route: routeLabel }, record.ttftMs / 1000);
    };
    try {
      record.headers = parseGatewayHeaders(req.headers);
      const body = parseJsonBody(await readBody(req));
      if (endpoint === "chat") {
        const parsed = parseChatCompletionRequest(body);
        const responder = new OpenAIResponder(res, base);
        await runChat({ deps, record, body: parsed, responder, includeUsage: parsed.stream_options?.include_usage === true });
      } else if (endpoint === "embeddings") {
        await runEmbeddings({ deps, record, body, res, baseHeaders: base });
      } else {
        await handleMessages({ deps, record, body, res, baseHeaders: base });
      }
    } catch (err) {
      const g = err instanceof GatewayError ? err : null;
      if (!g) onError(err, `${endpoint} request ${requestId}`);
      if (!res.headersSent) {
        record.status = record.attempts.length === 0 ? "rejected" : "error";
        record.errorCode = g?.code ?? "internal_error";
        record.httpStatus = g?.httpStatus ?? 500;
        record.badInput = g?.code === "invalid_request_error" && record.attempts.length === 0;
        if (err && typeof err === "object" && "findings" in err && Array.isArray(err.findings)) record.guardrailFindings = err.findings;
        sendError(res, err, shape, base);
      } else if (!res.writableEnded) {
        // The answer had started: what the pipeline recorded stands; the failure after it is in the error log.
        res.end();
      }
    } finally {
      record.finish();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.GATEWAY_PORT, env.GATEWAY_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = env.GATEWAY_HOST === "0.0.0.0" || env.GATEWAY_HOST === "::" ? "127.0.0.1" : env.GATEWAY_HOST;

  let closePromise: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    metrics,
    reloadConfig: async () => {
      await config.reload();
    },
    flushLogs: () => logs.flush(),
    close: () =>
      (closePromise ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // In-flight requests finish (each queues its log row as it ends) before the writer drains. A stream
        // still open after the grace period is cut: its request ends as a mid-stream failure, still logged.
        const grace = setTimeout(() => server.closeAllConnections(), opts.closeGraceMs ?? 30_000);
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        clearTimeout(grace);
        server.closeAllConnections();
        await stopped;
        await breakers.settled();
        await logs.close();
        await deps.lastUsed.close();
        await config.close();
        enforcer.close();
        subscriber.disconnect();
        await redis.quit().catch(() => redis.disconnect());
        await prisma.$disconnect();
        await cachePool.end();
        loopDelay.disable();
      })()),
  };
}
