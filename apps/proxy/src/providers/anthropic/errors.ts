// Anthropic error mapping: `{"type":"error","error":{"type","message"}}` bodies and statuses (529
// overloaded included) → UpstreamError.
import { z } from "zod";
import { UpstreamError } from "../types.ts";
import { failureForStatus, httpError, safeJson, type HeaderBag } from "../upstream-errors.ts";

export const errorSchema = z.object({
  type: z.literal("error"),
  error: z.object({ type: z.string(), message: z.string().optional() }).loose(),
});

export function failureForErrorType(type: string): UpstreamError["failure"] {
  switch (type) {
    case "rate_limit_error":
      return "rate_limited";
    case "overloaded_error":
    case "api_error":
      return "server_error";
    case "timeout_error":
      return "timeout";
    default:
      return "client_error";
  }
}

export function mapAnthropicError(status: number, bodyText: string, headers: HeaderBag): UpstreamError {
  const e = errorSchema.safeParse(safeJson(bodyText));
  const err = httpError("anthropic", status, headers, {
    message: e.success ? e.data.error.message : undefined,
    code: e.success ? e.data.error.type : undefined,
  });
  // Anthropic's 529 overloaded_error is a server condition whatever the status family says.
  if (failureForStatus(status) === "client_error" && e.success && e.data.error.type === "overloaded_error") {
    return new UpstreamError("server_error", err.message, { status, providerCode: "overloaded_error" });
  }
  return err;
}
