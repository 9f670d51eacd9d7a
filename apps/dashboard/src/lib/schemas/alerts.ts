import { z } from "zod";

export const ALERT_KINDS = [
  "budget_soft_threshold",
  "budget_exhausted",
  "spend_spike",
  "error_rate",
  "fallback_rate",
  "p95_latency",
] as const;

export const alertRuleSchema = z.object({
  tenantId: z.string(),
  name: z.string().trim().min(1, "give the rule a name").max(80),
  kind: z.enum(ALERT_KINDS),
  threshold: z.coerce.number().positive("must be positive"),
  windowMinutes: z.coerce.number().int().min(1).max(1440).default(15),
  routeName: z.string().optional(),
  budgetId: z.string().optional(),
  webhookUrl: z
    .union([z.literal("").transform(() => null), z.string().url("enter a full URL")])
    .nullable()
    .default(null),
  webhookSecret: z.string().max(200).default(""),
  enabled: z.boolean().default(true),
});
