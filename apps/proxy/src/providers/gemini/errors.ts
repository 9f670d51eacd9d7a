// Gemini error mapping: `{"error":{"code","message","status","details"}}` → UpstreamError, with the
// back-off read from a google.rpc.RetryInfo detail when no Retry-After header is sent.
import { z } from "zod";
import { UpstreamError } from "../types.ts";
import { httpError, parseRetryAfterMs, safeJson, sanitizeProviderMessage, type HeaderBag } from "../upstream-errors.ts";

export const errorSchema = z.object({
  error: z
    .object({
      code: z.number().optional(),
      message: z.string().optional(),
      status: z.string().optional(),
      details: z
        .array(z.object({ "@type": z.string().optional(), retryDelay: z.string().optional() }).loose())
        .optional(),
    })
    .loose(),
});

export function mapGeminiError(status: number, bodyText: string, headers: HeaderBag): UpstreamError {
  const e = errorSchema.safeParse(safeJson(bodyText));
  const err = httpError("gemini", status, headers, {
    message: e.success ? sanitizeProviderMessage(e.data.error.message) : undefined,
    code: e.success ? e.data.error.status : undefined,
  });
  if (err.retryAfterMs === null && parseRetryAfterMs(headers) === null && e.success) {
    // Gemini puts the back-off in a google.rpc.RetryInfo detail ("retryDelay": "30s") instead of a header.
    const delay = e.data.error.details?.find((d) => typeof d.retryDelay === "string")?.retryDelay;
    const secs = delay ? Number.parseFloat(delay) : Number.NaN;
    if (Number.isFinite(secs)) {
      return new UpstreamError(err.failure, err.message, {
        status,
        retryAfterMs: Math.ceil(secs * 1000),
        ...(err.providerCode !== undefined ? { providerCode: err.providerCode } : {}),
      });
    }
  }
  return err;
}
