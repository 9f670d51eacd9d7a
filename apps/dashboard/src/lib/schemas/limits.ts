import { z } from "zod";
import { dollarsSchema } from "./keys.ts";

const optionalId = z
  .union([z.literal("").transform(() => null), z.string().min(1)])
  .nullable()
  .default(null);

export const budgetSchema = z
  .object({
    name: z.string().trim().min(1, "give the budget a name").max(80),
    scope: z.enum(["tenant", "app", "key", "route"]),
    appId: optionalId,
    apiKeyId: optionalId,
    routeId: optionalId,
    period: z.enum(["day", "week", "month", "total"]),
    limitDollars: dollarsSchema,
    softThresholdPct: z.coerce.number().int().min(1).max(100).default(80),
    action: z.enum(["block", "downgrade", "alert_only"]).default("block"),
    downgradeRouteId: optionalId,
  })
  .superRefine((b, ctx) => {
    const need = { app: "appId", key: "apiKeyId", route: "routeId" } as const;
    if (b.scope !== "tenant" && !b[need[b.scope]])
      ctx.addIssue({ code: "custom", path: [need[b.scope]], message: `pick the ${b.scope}` });
    if (b.action === "downgrade" && !b.downgradeRouteId)
      ctx.addIssue({ code: "custom", path: ["downgradeRouteId"], message: "pick the cheaper route to downgrade to" });
  });

const optionalLimit = z
  .union([z.literal("").transform(() => null), z.coerce.number().int().positive("must be positive")])
  .nullable()
  .default(null);

export const rateLimitSchema = z
  .object({
    scope: z.enum(["tenant", "app", "key", "route", "model"]),
    appId: optionalId,
    apiKeyId: optionalId,
    routeId: optionalId,
    modelName: optionalId,
    rpm: optionalLimit,
    tpm: optionalLimit,
  })
  .superRefine((r, ctx) => {
    if (r.rpm === null && r.tpm === null)
      ctx.addIssue({ code: "custom", path: ["rpm"], message: "set RPM, TPM or both" });
    const need = { app: "appId", key: "apiKeyId", route: "routeId", model: "modelName" } as const;
    if (r.scope !== "tenant" && !r[need[r.scope]])
      ctx.addIssue({ code: "custom", path: [need[r.scope]], message: `pick the ${r.scope}` });
  });
