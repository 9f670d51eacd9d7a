// The seams between the request pipeline and the services it drives (rate limits and budgets in Redis,
// the batched request-log writer). The pipeline speaks these; src/wiring.ts adapts the real modules.
import type { KeyConfig, RouteConfig } from "./config/snapshot.ts";
import type { RequestLogWriter } from "./logging/writer.ts";

export interface AdmissionRequest {
  /** The client request id: the reservation's id. */
  requestId: string;
  key: KeyConfig;
  route: RouteConfig | null;
  /** The model the primary target names (for model-scope limits). */
  modelName: string;
  inputTokens: number;
  /** Input estimate plus the output allowance: what TPM reserves. */
  estimatedTokens: number;
  /** The most this request may cost (worst case over its targets): what budgets reserve. */
  reserveMicros: bigint;
  now: number;
}

export interface Admission {
  /** OpenAI's x-ratelimit-* headers for the response. */
  headers: Record<string, string>;
  /** A budget with action `downgrade` is spent: nothing was counted; admit again on this route. */
  downgradeRouteId: string | null;
  /** Opaque to the pipeline; handed back to settle. */
  handle: unknown;
  /** What admission reserved against budgets: one attempt's worst case. */
  reservedMicros: bigint;
}

export interface AdmissionService {
  /** One Redis round trip. Throws a GatewayError (429 rate_limit_exceeded / budget_exceeded) to refuse. */
  admit(req: AdmissionRequest): Promise<Admission>;
  /**
   * Grow the reservation before an attempt that could push the request past it (a retry or fallback after
   * an attempt that cost money). Throws GatewayError budget_exceeded when the budget has no room left.
   */
  reserveMore(admission: Admission, extraMicros: bigint): Promise<void>;
  /** One Redis round trip: release the reservation, count the real spend and tokens. */
  settle(admission: Admission, actual: { costMicros: bigint; inputTokens: number; outputTokens: number; now: number }): Promise<void>;
}

/** The request-log writer (apps/proxy/src/logging/writer.ts) as the pipeline uses it. */
export type LogSink = Pick<RequestLogWriter, "enqueue" | "flush" | "close" | "stats">;
