// A loopback LLM provider for tests and the demo: OpenAI, Azure OpenAI, Anthropic and Gemini wire formats
// under one port (/openai/v1, /azure, /anthropic, /gemini), deterministic answers, and injectable faults.
// Admin: POST/GET/DELETE /__mock/faults, GET/DELETE /__mock/requests.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answer } from "./answers.ts";
import { anthropicDialect } from "./anthropic.ts";
import { asRecord, BadRequest, type Dialect } from "./dialect.ts";
import {
  faultFromText,
  faultRuleSchema,
  FaultRules,
  FaultSpecError,
  parseFaultSpec,
  resolveFault,
  type Fault,
  type RequestFacts,
} from "./faults.ts";
import { geminiDialect, geminiEmbed } from "./gemini.ts";
import { createOpenAIDialect, embeddingsResponse, MOCK_MODELS, openAIErrorBody } from "./openai.ts";
import { readBody, retryHeaders, sendJson, sleep } from "./wire.ts";

export { parseFaultSpec, faultSchema, type Fault, type FaultRule } from "./faults.ts";

/** One request as the mock saw it. The auth header's value is never kept, only whether one was sent. */
export interface LoggedRequest {
  seq: number;
  at: string;
  method: string;
  path: string;
  provider: RequestFacts["provider"] | "admin" | "unknown";
  operation: "chat" | "embeddings" | "models" | "other";
  model: string | null;
  stream: boolean;
  authPresent: boolean;
  /** Non-secret headers worth asserting on (anthropic-version, x-mock-fault, user-agent). */
  headers: Record<string, string>;
  body: unknown;
  fault: Fault | null;
  /** HTTP status sent; 0 when the connection closed before the response completed (cut stream, client gone). */
  status: number | null;
}

export interface MockProvider {
  url: string;
  port: number;
  /** Requests received so far (the same data GET /__mock/requests returns). */
  requests(): LoggedRequest[];
  resetRequests(): void;
  addFault(rule: unknown): number;
  clearFaults(): void;
  close(): Promise<void>;
}

const openai = createOpenAIDialect("openai");
const azure = createOpenAIDialect("azure");

type Match =
  | { dialect: Dialect; op: "chat"; model: string | null; streamPath: boolean }
  | { dialect: Dialect; op: "embeddings"; model: string | null; batch?: boolean }
  | { dialect: Dialect; op: "models" };

function route(method: string, pathname: string): Match | null {
  if (method === "POST" && pathname === "/openai/v1/chat/completions")
    return { dialect: openai, op: "chat", model: null, streamPath: false };
  if (method === "POST" && pathname === "/openai/v1/embeddings")
    return { dialect: openai, op: "embeddings", model: null };
  if (method === "GET" && pathname === "/openai/v1/models") return { dialect: openai, op: "models" };
  let m = /^\/azure\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(pathname);
  if (method === "POST" && m) {
    const model = decodeURIComponent(m[1] ?? "");
    return m[2] === "embeddings"
      ? { dialect: azure, op: "embeddings", model }
      : { dialect: azure, op: "chat", model, streamPath: false };
  }
  if (method === "POST" && pathname === "/anthropic/v1/messages")
    return { dialect: anthropicDialect, op: "chat", model: null, streamPath: false };
  m =
    /^\/gemini\/v1(?:beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/.exec(
      pathname,
    );
  if (method === "POST" && m) {
    const model = decodeURIComponent(m[1] ?? "");
    switch (m[2]) {
      case "generateContent":
        return { dialect: geminiDialect, op: "chat", model, streamPath: false };
      case "streamGenerateContent":
        return { dialect: geminiDialect, op: "chat", model, streamPath: true };
      case "embedContent":
        return { dialect: geminiDialect, op: "embeddings", model, batch: false };
      default:
        return { dialect: geminiDialect, op: "embeddings", model, batch: true };
    }
  }
  return null;
}

const MAX_LOGGED = 5000;

const KEPT_HEADERS = ["anthropic-version", "x-mock-fault", "user-agent", "content-type", "accept"];

export async function startMockProvider(opts: { port?: number; host?: string } = {}): Promise<MockProvider> {
  const rules = new FaultRules();
  let log: LoggedRequest[] = [];
  let seq = 0;

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (pathname === "/__mock/requests") {
      if (req.method === "GET") return sendJson(res, 200, { requests: log });
      if (req.method === "DELETE") {
        log = [];
        return sendJson(res, 200, { ok: true });
      }
    }
    if (pathname === "/__mock/faults") {
      if (req.method === "GET") return sendJson(res, 200, { faults: rules.list() });
      if (req.method === "DELETE") {
        rules.clear();
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === "POST") {
        let raw: unknown;
        try {
          raw = JSON.parse(await readBody(req));
        } catch {
          return sendJson(res, 400, { error: "body must be JSON" });
        }
        const parsed = faultRuleSchema.safeParse(raw);
        if (!parsed.success) {
          const i = parsed.error.issues[0];
          return sendJson(res, 400, { error: `${i?.path.join(".") ?? ""}: ${i?.message ?? "invalid"}` });
        }
        return sendJson(res, 201, { id: rules.add(parsed.data) });
      }
    }
    sendJson(res, 404, { error: "unknown admin endpoint" });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://mock.local");
    const method = req.method ?? "GET";
    if (url.pathname.startsWith("/__mock/")) return handleAdmin(req, res, url.pathname);
    if (method === "GET" && url.pathname === "/healthz") return sendJson(res, 200, { ok: true });

    const match = route(method, url.pathname);
    const entry: LoggedRequest = {
      seq: ++seq,
      at: new Date().toISOString(),
      method,
      path: url.pathname + url.search,
      provider: match?.dialect.provider ?? "unknown",
      operation: match ? match.op : "other",
      model: null,
      stream: false,
      authPresent: match ? match.dialect.authPresent(req, url) : false,
      headers: Object.fromEntries(
        KEPT_HEADERS.flatMap((h) => (typeof req.headers[h] === "string" ? [[h, req.headers[h] as string]] : [])),
      ),
      body: null,
      fault: null,
      status: null,
    };
    log.push(entry);
    // A demo left running for days must not grow without bound; tests read far fewer than this.
    if (log.length > MAX_LOGGED) log.splice(0, log.length - MAX_LOGGED);
    res.on("finish", () => {
      entry.status = res.statusCode;
    });
    res.on("close", () => {
      entry.status ??= res.writableFinished ? res.statusCode : 0;
    });

    if (!match)
      return sendJson(res, 404, openAIErrorBody(404, `mock provider: no route for ${method} ${url.pathname}`));
    const { dialect } = match;

    if (match.op === "models") {
      if (!entry.authPresent) return dialect.error(res, 401, "You didn't provide an API key.");
      const created = 1_700_000_000;
      return sendJson(res, 200, {
        object: "list",
        data: MOCK_MODELS.map((id) => ({ id, object: "model", created, owned_by: "mock" })),
      });
    }

    const text = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = asRecord(JSON.parse(text));
    } catch {
      return dialect.error(res, 400, "We could not parse the JSON body of your request.");
    }
    entry.body = body;
    if (!entry.authPresent) {
      return dialect.error(
        res,
        dialect.provider === "gemini" ? 403 : 401,
        "Missing API key: the mock requires the provider's auth header.",
      );
    }
    if (dialect.provider === "anthropic" && typeof req.headers["anthropic-version"] !== "string") {
      return dialect.error(res, 400, "anthropic-version: header is required");
    }
    if (dialect.provider === "azure" && !url.searchParams.get("api-version")) {
      return dialect.error(res, 404, "Resource not found: api-version query parameter is required");
    }

    const model = match.model ?? (typeof body.model === "string" ? body.model : "");
    if (model === "") return dialect.error(res, 400, "you must provide a model parameter");
    const stream = match.op === "chat" && (match.streamPath || body.stream === true);
    entry.model = model;
    entry.stream = stream;

    let fault: Fault | null;
    try {
      const header = req.headers["x-mock-fault"];
      const fromHeader = typeof header === "string" && header.trim() !== "" ? parseFaultSpec(header) : null;
      const fromMarker = match.op === "chat" ? faultFromText(dialect.lastUserRaw(body)) : null;
      // Taken last, so a refused header or marker does not spend one of the rule's `times`.
      const fromRule = rules.take({ provider: dialect.provider, path: url.pathname, model, stream });
      fault = resolveFault([fromRule, fromMarker, fromHeader]);
    } catch (err) {
      if (err instanceof FaultSpecError || err instanceof SyntaxError) return dialect.error(res, 400, err.message);
      throw err;
    }
    entry.fault = fault;

    if (fault?.delay_ms) {
      await sleep(fault.delay_ms, res);
      if (res.destroyed) return;
    }
    if (fault?.status) {
      return dialect.error(res, fault.status, fault.message ?? `mock fault: HTTP ${fault.status}`, retryHeaders(fault));
    }

    try {
      if (match.op === "embeddings") {
        if (dialect.provider === "gemini") return sendJson(res, 200, geminiEmbed(body, match.batch === true));
        return sendJson(res, 200, embeddingsResponse(body, model));
      }
      const prompt = dialect.prompt(body, model);
      await dialect.respond({ res, body, model, stream, prompt, answer: answer(prompt, fault), fault, seq: entry.seq });
    } catch (err) {
      if (err instanceof BadRequest && !res.headersSent) return dialect.error(res, 400, err.message);
      throw err;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      console.error("mock provider error", err);
      sendJson(res, 500, { error: { message: "mock provider internal error", type: "server_error" } });
    });
  });
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => log,
    resetRequests: () => {
      log = [];
    },
    addFault: (rule) => rules.add(faultRuleSchema.parse(rule)),
    clearFaults: () => rules.clear(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
