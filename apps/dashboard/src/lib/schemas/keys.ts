// Forms and the server parse API-key input with these schemas, so the browser shows the same errors.
import { z } from "zod";

export const BUDGET_PERIODS = ["day", "week", "month", "total"] as const;

/** Dollars typed in a form → micro-dollars. */
export const dollarsSchema = z.coerce
  .number({ message: "enter an amount in dollars" })
  .positive("must be more than $0")
  .max(10_000_000, "must be at most $10,000,000");

const optionalPositiveInt = z
  .union([
    z.literal("").transform(() => null),
    z.coerce.number().int("whole numbers only").positive("must be positive"),
  ])
  .nullable()
  .optional()
  .transform((v) => v ?? null);

export const createKeySchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, "give the key a name")
    .max(80)
    .regex(/^[\w .:-]+$/, "letters, digits, spaces and . _ : - only"),
  appId: z.string().min(1, "pick an app"),
  environmentId: z.string().min(1, "pick an environment"),
  allowedRoutes: z.array(z.string().min(1)).default([]),
  allowedModels: z.array(z.string().min(1)).default([]),
  rpm: optionalPositiveInt,
  tpm: optionalPositiveInt,
  /** Days from now; null = never expires. */
  expiresInDays: optionalPositiveInt,
  budgetDollars: z
    .union([z.literal("").transform(() => null), dollarsSchema])
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  budgetPeriod: z.enum(BUDGET_PERIODS).default("month"),
});
export type CreateKeyInput = z.input<typeof createKeySchema>;

export const KEY_SORT_FIELDS = ["name", "createdAt", "lastUsedAt", "expiresAt"] as const;
export const listKeysSchema = z.object({
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(100).default(20),
  sort: z.enum(KEY_SORT_FIELDS).default("createdAt"),
  dir: z.enum(["asc", "desc"]).default("desc"),
  q: z.string().trim().max(80).default(""),
  status: z.enum(["all", "active", "revoked", "expired"]).default("active"),
  appId: z.string().optional(),
});
