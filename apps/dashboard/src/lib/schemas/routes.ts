import { z } from "zod";
import { routeVersionSpecSchema } from "@gateway/policy/route-spec";

export const routeNameSchema = z
  .string()
  .trim()
  .min(1, "give the route a name")
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, dots, dashes and underscores");

export const createRouteSchema = z.object({
  name: routeNameSchema,
  description: z.string().trim().max(500).optional(),
  spec: routeVersionSpecSchema,
  note: z.string().trim().max(500).optional(),
});

export const saveRouteVersionSchema = z.object({
  routeId: z.string().min(1),
  /** The version the editor started from: a save on a stale version is refused instead of silently lost. */
  baseVersion: z.number().int().positive(),
  description: z.string().trim().max(500).nullable().optional(),
  spec: routeVersionSpecSchema,
  note: z.string().trim().max(500).optional(),
});

export const RISK_TABLE = [
  {
    level: "low",
    onFailure: "Retry once on the same target (honouring Retry-After), then move to the next target.",
    use: "Summaries, drafts, internal tools: any model that answers is fine.",
  },
  {
    level: "medium",
    onFailure: "Fall back only where the fallback's output passes the route's JSON-schema validator.",
    use: "Structured output other code parses; a wrong shape is worse than a late answer.",
  },
  {
    level: "high",
    onFailure: "No fallback: stop, log, open a review item for a person and return the error.",
    use: "Regulated or customer-facing decisions where a silent model switch is not acceptable.",
  },
] as const;
