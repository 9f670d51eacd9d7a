// One error base for everything the gateway refuses or fails, and one function that turns any error into
// OpenAI's error shape. 5xx messages name failed attempts but never secrets or stack traces.

export type GatewayErrorCode =
  | "invalid_request_error"
  | "invalid_api_key"
  | "model_not_allowed"
  | "model_not_found"
  | "context_length_exceeded"
  | "rate_limit_exceeded"
  | "budget_exceeded"
  | "output_validation_failed"
  | "guardrail_blocked"
  | "upstream_error"
  | "no_healthy_target"
  | "upstream_timeout"
  | "service_unavailable"
  | "not_found"
  | "internal_error";

const DEFAULTS: Record<GatewayErrorCode, { httpStatus: number; type: string }> = {
  invalid_request_error: { httpStatus: 400, type: "invalid_request_error" },
  invalid_api_key: { httpStatus: 401, type: "authentication_error" },
  model_not_allowed: { httpStatus: 403, type: "permission_error" },
  model_not_found: { httpStatus: 404, type: "invalid_request_error" },
  context_length_exceeded: { httpStatus: 413, type: "invalid_request_error" },
  rate_limit_exceeded: { httpStatus: 429, type: "rate_limit_error" },
  budget_exceeded: { httpStatus: 429, type: "insufficient_quota" },
  output_validation_failed: { httpStatus: 422, type: "invalid_response_error" },
  guardrail_blocked: { httpStatus: 400, type: "invalid_request_error" },
  upstream_error: { httpStatus: 502, type: "api_error" },
  no_healthy_target: { httpStatus: 503, type: "api_error" },
  upstream_timeout: { httpStatus: 504, type: "api_error" },
  service_unavailable: { httpStatus: 503, type: "api_error" },
  not_found: { httpStatus: 404, type: "invalid_request_error" },
  internal_error: { httpStatus: 500, type: "api_error" },
};

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; [extra: string]: unknown };
}

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly httpStatus: number;
  readonly type: string;
  readonly param: string | null;
  /** Extra fields placed on the error object (e.g. review_item_id, attempts). */
  readonly extra: Record<string, unknown>;
  /** Response headers this error must carry (Retry-After, rate-limit headers). */
  readonly headers: Record<string, string>;

  constructor(
    code: GatewayErrorCode,
    message: string,
    opts: {
      param?: string | null;
      httpStatus?: number;
      type?: string;
      extra?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.name = "GatewayError";
    this.code = code;
    this.httpStatus = opts.httpStatus ?? DEFAULTS[code].httpStatus;
    this.type = opts.type ?? DEFAULTS[code].type;
    this.param = opts.param ?? null;
    this.extra = opts.extra ?? {};
    this.headers = opts.headers ?? {};
  }
}

export function invalidRequest(param: string, message: string): GatewayError {
  return new GatewayError("invalid_request_error", message, { param });
}

/** Any thrown value → status and OpenAI error body. Unknown errors become a 500 with no internals. */
export function toOpenAIError(err: unknown): { status: number; body: OpenAIErrorBody; headers: Record<string, string> } {
  if (err instanceof GatewayError) {
    return {
      status: err.httpStatus,
      headers: err.headers,
      body: {
        error: { message: err.message, type: err.type, param: err.param, code: err.code, ...err.extra },
      },
    };
  }
  return {
    status: 500,
    headers: {},
    body: { error: { message: "internal gateway error", type: "api_error", param: null, code: "internal_error" } },
  };
}
