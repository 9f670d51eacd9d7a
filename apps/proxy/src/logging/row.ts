// One client request as a row of `request_logs` (prisma/schema.prisma), the column list the writer inserts,
// and the JSON form the on-disk journal holds (BigInt and Date survive a round trip).
import type { FailureKind } from "@gateway/policy/risk";

export interface RequestLogAttempt {
  /** The target as the route names it (tenant model name or deployment). */
  target: string;
  model: string;
  provider: string;
  status: number | null;
  errorCode: string | null;
  failure: FailureKind | null;
  latencyMs: number;
  /** Micro-dollars as a decimal string: JSON has no BigInt. */
  costMicros: string;
  retryAfterMs?: number;
}

export interface RequestLogRow {
  /** The request id (x-request-id): the idempotency key, with createdAt the primary key. */
  id: string;
  createdAt: Date;
  tenantId: string;
  appId: string | null;
  environmentId: string | null;
  environment: string | null;
  apiKeyId: string | null;
  /** chat, embeddings, messages */
  endpoint: string;
  routeId: string | null;
  routeName: string | null;
  routeVersion: number | null;
  workflow: string | null;
  endUser: string | null;
  userTier: string | null;
  requestedModel: string;
  finalModel: string | null;
  provider: string | null;
  attempts: RequestLogAttempt[];
  retryCount: number;
  fallbackUsed: boolean;
  downgraded: boolean;
  /** success, error, rejected */
  status: "success" | "error" | "rejected";
  httpStatus: number;
  errorCode: string | null;
  midStreamFailure: boolean;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  tokensEstimated: boolean;
  costMicros: bigint;
  costSavedMicros: bigint;
  latencyMs: number;
  ttftMs: number | null;
  stream: boolean;
  cacheHit: "none" | "exact" | "semantic";
  validatorResult: "none" | "pass" | "fail";
  /** [{ kind, count, action, stage }] — never the matched value. */
  guardrailFindings: unknown[] | null;
  reviewItemId: string | null;
  metadata: Record<string, unknown> | null;
  /** Only where the tenant's policy keeps bodies; the caller decides. */
  requestBody: unknown;
  responseBody: unknown;
}

type Kind = "plain" | "json" | "bigint" | "date";

/** [field, column, how the value is sent]. The order is the INSERT's column order. */
export const REQUEST_LOG_COLUMNS: ReadonlyArray<readonly [keyof RequestLogRow, string, Kind]> = [
  ["id", "id", "plain"],
  ["createdAt", "created_at", "date"],
  ["tenantId", "tenant_id", "plain"],
  ["appId", "app_id", "plain"],
  ["environmentId", "environment_id", "plain"],
  ["environment", "environment", "plain"],
  ["apiKeyId", "api_key_id", "plain"],
  ["endpoint", "endpoint", "plain"],
  ["routeId", "route_id", "plain"],
  ["routeName", "route_name", "plain"],
  ["routeVersion", "route_version", "plain"],
  ["workflow", "workflow", "plain"],
  ["endUser", "end_user", "plain"],
  ["userTier", "user_tier", "plain"],
  ["requestedModel", "requested_model", "plain"],
  ["finalModel", "final_model", "plain"],
  ["provider", "provider", "plain"],
  ["attempts", "attempts", "json"],
  ["retryCount", "retry_count", "plain"],
  ["fallbackUsed", "fallback_used", "plain"],
  ["downgraded", "downgraded", "plain"],
  ["status", "status", "plain"],
  ["httpStatus", "http_status", "plain"],
  ["errorCode", "error_code", "plain"],
  ["midStreamFailure", "mid_stream_failure", "plain"],
  ["inputTokens", "input_tokens", "plain"],
  ["outputTokens", "output_tokens", "plain"],
  ["cachedTokens", "cached_tokens", "plain"],
  ["tokensEstimated", "tokens_estimated", "plain"],
  ["costMicros", "cost_micros", "bigint"],
  ["costSavedMicros", "cost_saved_micros", "bigint"],
  ["latencyMs", "latency_ms", "plain"],
  ["ttftMs", "ttft_ms", "plain"],
  ["stream", "stream", "plain"],
  ["cacheHit", "cache_hit", "plain"],
  ["validatorResult", "validator_result", "plain"],
  ["guardrailFindings", "guardrail_findings", "json"],
  ["reviewItemId", "review_item_id", "plain"],
  ["metadata", "metadata", "json"],
  ["requestBody", "request_body", "json"],
  ["responseBody", "response_body", "json"],
];

/** A row's values in column order, as node-postgres parameters. */
// Postgres text and jsonb cannot hold U+0000, and jsonb refuses the escape of a lone UTF-16 surrogate
// (which JSON.stringify emits for text cut mid-emoji). A client may send either in any string (model name,
// message content, metadata), and one would get the whole row refused, so both become U+FFFD here.
const NEEDS_CLEANING = /\\u0000|\\ud[89a-f]/i;
function withoutNul(_key: string, v: unknown): unknown {
  if (typeof v !== "string") return v;
  const whole = v.isWellFormed() ? v : v.toWellFormed();
  return whole.includes("\u0000") ? whole.replaceAll("\u0000", "\uFFFD") : whole;
}

export function rowParams(row: RequestLogRow): unknown[] {
  return REQUEST_LOG_COLUMNS.map(([field, , kind]) => {
    const v = row[field];
    if (v === undefined || v === null) return kind === "json" && field === "attempts" ? "[]" : null;
    switch (kind) {
      // Stringified here: node-postgres would send a JS array as a Postgres array, not JSON.
      case "json": {
        // The replacer walks every value; only pay for it when the plain output holds an escaped NUL or a lone
        // surrogate (JSON.stringify escapes exactly those), which almost no row does.
        const text = JSON.stringify(v);
        return NEEDS_CLEANING.test(text) ? JSON.stringify(v, withoutNul) : text;
      }
      case "bigint":
        return (v as bigint).toString();
      case "date":
        return (v as Date).toISOString();
      default:
        return typeof v === "string" ? withoutNul("", v) : v;
    }
  });
}

/** One journal line. BigInt → decimal string, Date → ISO string. */
export function serializeRow(row: RequestLogRow): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** The inverse of serializeRow. */
export function deserializeRow(line: string): RequestLogRow {
  const raw = JSON.parse(line) as Record<string, unknown>;
  if (typeof raw.id !== "string" || typeof raw.createdAt !== "string" || typeof raw.tenantId !== "string") {
    throw new Error("journal line is not a request log row");
  }
  return {
    ...(raw as unknown as RequestLogRow),
    createdAt: new Date(raw.createdAt),
    costMicros: BigInt((raw.costMicros as string | undefined) ?? "0"),
    costSavedMicros: BigInt((raw.costSavedMicros as string | undefined) ?? "0"),
  };
}
