// Provider accounts, models and prices: shared by forms and the server.
import { z } from "zod";

export const PROVIDER_KINDS = ["openai", "openai_compatible", "anthropic", "gemini"] as const;
export const MODEL_CAPABILITIES = ["tools", "vision", "json_schema", "streaming", "parallel_tool_calls", "n"] as const;

export const providerSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, "give the account a name")
    .max(64)
    .regex(/^[\w.-]+$/, "letters, digits, . _ - only"),
  kind: z.enum(PROVIDER_KINDS),
  baseUrl: z
    .union([z.literal("").transform(() => null), z.string().url("enter a full URL")])
    .nullable()
    .default(null),
  authStyle: z.enum(["bearer", "api-key"]).default("bearer"),
  apiVersion: z
    .union([z.literal("").transform(() => null), z.string().max(32)])
    .nullable()
    .default(null),
  /** Write-only: empty keeps the stored credential. */
  credential: z.string().max(4000).default(""),
});

export const modelSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, "give the model a name")
    .max(96)
    .regex(/^[\w.:/-]+$/, "letters, digits, . _ : / - only"),
  providerAccountId: z.string().min(1, "pick a provider account"),
  upstreamModel: z.string().trim().min(1, "the provider's model id").max(128),
  kind: z.enum(["chat", "embedding"]).default("chat"),
  contextWindow: z.coerce.number().int().positive().default(128000),
  maxOutputTokens: z.coerce.number().int().positive().default(4096),
  capabilities: z.array(z.enum(MODEL_CAPABILITIES)).default([]),
});

/** Prices in dollars per million tokens in the form; stored as micro-dollars per million tokens. */
export const priceSchema = z.object({
  modelId: z.string().min(1),
  effectiveFrom: z.coerce.date({ message: "pick a date" }),
  inputPerMTok: z.coerce.number().min(0, "cannot be negative").max(10_000),
  outputPerMTok: z.coerce.number().min(0, "cannot be negative").max(10_000),
  cachedInputPerMTok: z.coerce.number().min(0, "cannot be negative").max(10_000).default(0),
});
