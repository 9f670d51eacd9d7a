// Alert rules (webhook secret write-only) and the events and deliveries they produced.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { encryptSecret } from "@gateway/db/secrets";
import { alertRuleSchema } from "../../../lib/schemas/alerts.ts";
import { writeAudit } from "../audit.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

const ruleFields = {
  id: true,
  name: true,
  kind: true,
  params: true,
  webhookUrl: true,
  enabled: true,
  createdAt: true,
  webhookSecretCiphertext: true,
} as const;

function publicRule<T extends { webhookSecretCiphertext: string | null }>({ webhookSecretCiphertext, ...r }: T) {
  return { ...r, hasSecret: webhookSecretCiphertext !== null };
}

export const alertsRouter = createTRPCRouter({
  rules: scoped("alerts:read").query(async ({ ctx }) => {
    const rows = await ctx.db.alertRule.findMany({
      where: { tenantId: ctx.tenantId },
      select: ruleFields,
      orderBy: { name: "asc" },
    });
    return rows.map(publicRule);
  }),

  events: scoped("alerts:read")
    .input(z.object({ page: z.number().int().min(1).default(1) }))
    .query(async ({ ctx, input }) => {
      const pageSize = 20;
      const [total, rows] = await Promise.all([
        ctx.db.alertEvent.count({ where: { tenantId: ctx.tenantId } }),
        ctx.db.alertEvent.findMany({
          where: { tenantId: ctx.tenantId },
          include: { rule: { select: { name: true } }, deliveries: { orderBy: { attempt: "asc" } } },
          orderBy: { createdAt: "desc" },
          skip: (input.page - 1) * pageSize,
          take: pageSize,
        }),
      ]);
      return { total, rows, pageSize };
    }),

  createRule: scoped("alerts:write")
    .input(alertRuleSchema)
    .mutation(async ({ ctx, input }) => {
      const { tenantId: _t, webhookSecret, threshold, windowMinutes, routeName, budgetId, ...rest } = input;
      const row = await ctx.db.$transaction(async (tx) => {
        const taken = await tx.alertRule.findUnique({
          where: { tenantId_name: { tenantId: ctx.tenantId, name: rest.name } },
        });
        if (taken) throw new TRPCError({ code: "CONFLICT", message: `an alert rule named "${rest.name}" exists` });
        const created = await tx.alertRule.create({
          data: {
            tenantId: ctx.tenantId,
            ...rest,
            params: {
              threshold,
              windowMinutes,
              ...(routeName ? { routeName } : {}),
              ...(budgetId ? { budgetId } : {}),
            },
            webhookSecretCiphertext: webhookSecret ? encryptSecret(webhookSecret) : null,
          },
          select: ruleFields,
        });
        const view = publicRule(created);
        await writeAudit(tx, ctx, {
          action: "alert_rule.create",
          resourceType: "alert_rule",
          resourceId: created.id,
          after: view,
        });
        return view;
      });
      return row;
    }),

  setEnabled: scoped("alerts:write")
    .input(z.object({ id: z.string(), enabled: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.$transaction(async (tx) => {
        const before = await tx.alertRule.findFirst({
          where: { id: input.id, tenantId: ctx.tenantId },
          select: ruleFields,
        });
        if (!before) throw new TRPCError({ code: "NOT_FOUND", message: "alert rule not found" });
        const after = await tx.alertRule.update({
          where: { id: before.id },
          data: { enabled: input.enabled },
          select: ruleFields,
        });
        await writeAudit(tx, ctx, {
          action: "alert_rule.update",
          resourceType: "alert_rule",
          resourceId: before.id,
          before: publicRule(before),
          after: publicRule(after),
        });
        return publicRule(after);
      });
    }),
});
