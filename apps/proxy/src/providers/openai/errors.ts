// OpenAI-format error mapping: `{"error":{"message","type","code"}}` bodies → UpstreamError with the
// provider's code and the Retry-After / retry-after-ms back-off.
import { z } from "zod";
import type { UpstreamError } from "../types.ts";
import { httpError, safeJson, type HeaderBag } from "../upstream-errors.ts";

export const errorBodySchema = z.object({
  error: z
    .object({
      message: z.string().nullish(),
      type: z.string().nullish(),
      code: z.union([z.string(), z.number()]).nullish(),
    })
    .loose(),
});

export function mapOpenAIError(label: string, status: number, bodyText: string, headers: HeaderBag): UpstreamError {
  const parsed = errorBodySchema.safeParse(safeJson(bodyText));
  const e = parsed.success ? parsed.data.error : undefined;
  const code = e?.code != null ? String(e.code) : (e?.type ?? undefined);
  return httpError(label, status, headers, { message: e?.message, code });
}
