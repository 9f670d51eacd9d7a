// Models and their versioned prices (a new price is a new row with its effective date; old rows stay).
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { modelSchema, priceSchema } from "../../../lib/schemas/catalog.ts";
import { writeAudit } from "../audit.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

const toMicros = (dollarsPerMTok: number) => BigInt(Math.round(dollarsPerMTok * 1_000_000));

export const modelsRouter = createTRPCRouter({
  list: scoped("models:read").query(async ({ ctx }) => {
    const rows = await ctx.db.model.findMany({
      where: { tenantId: ctx.tenantId },
      include: {
        providerAccount: { select: { name: true, kind: true } },
        prices: { orderBy: { effectiveFrom: "desc" } },
      },
      orderBy: { name: "asc" },
    });
    const now = Date.now();
    return rows.map((m) => ({ ...m, currentPrice: m.prices.find((p) => p.effectiveFrom.getTime() <= now) ?? null }));
  }),

  upsert: scoped("models:write")
    .input(modelSchema.extend({ id: z.string().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { id, tenantId: _t, ...fields } = input;
      const provider = await ctx.db.providerAccount.findFirst({
        where: { id: fields.providerAccountId, tenantId: ctx.tenantId },
      });
      if (!provider) throw new TRPCError({ code: "NOT_FOUND", message: "provider account not found" });
      const row = await ctx.db.$transaction(async (tx) => {
        if (id) {
          const before = await tx.model.findFirst({ where: { id, tenantId: ctx.tenantId } });
          if (!before) throw new TRPCError({ code: "NOT_FOUND", message: "model not found" });
          const after = await tx.model.update({ where: { id }, data: fields });
          await writeAudit(tx, ctx, { action: "model.update", resourceType: "model", resourceId: id, before, after });
          return after;
        }
        const taken = await tx.model.findUnique({
          where: { tenantId_name: { tenantId: ctx.tenantId, name: fields.name } },
        });
        if (taken) throw new TRPCError({ code: "CONFLICT", message: `a model named "${fields.name}" exists` });
        const after = await tx.model.create({ data: { tenantId: ctx.tenantId, ...fields } });
        await writeAudit(tx, ctx, { action: "model.create", resourceType: "model", resourceId: after.id, after });
        return after;
      });
      await ctx.announce(ctx.tenantId, "model.upsert");
      return row;
    }),

  addPrice: scoped("models:write")
    .input(priceSchema)
    .mutation(async ({ ctx, input }) => {
      const model = await ctx.db.model.findFirst({ where: { id: input.modelId, tenantId: ctx.tenantId } });
      if (!model) throw new TRPCError({ code: "NOT_FOUND", message: "model not found" });
      const price = await ctx.db.$transaction(async (tx) => {
        const clash = await tx.modelPrice.findUnique({
          where: { modelId_effectiveFrom: { modelId: model.id, effectiveFrom: input.effectiveFrom } },
        });
        if (clash) throw new TRPCError({ code: "CONFLICT", message: "a price with that effective date exists" });
        const row = await tx.modelPrice.create({
          data: {
            modelId: model.id,
            effectiveFrom: input.effectiveFrom,
            inputMicrosPerMTok: toMicros(input.inputPerMTok),
            outputMicrosPerMTok: toMicros(input.outputPerMTok),
            cachedInputMicrosPerMTok: toMicros(input.cachedInputPerMTok),
          },
        });
        await writeAudit(tx, ctx, {
          action: "price.create",
          resourceType: "model_price",
          resourceId: row.id,
          after: { model: model.name, ...row },
        });
        return row;
      });
      await ctx.announce(ctx.tenantId, "price.create");
      return price;
    }),
});
