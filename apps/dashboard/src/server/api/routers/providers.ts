// Provider accounts. Credentials are write-only: encrypted on the way in, never returned.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { encryptSecret } from "@gateway/db/secrets";
import { providerSchema } from "../../../lib/schemas/catalog.ts";
import { writeAudit } from "../audit.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

const publicFields = {
  id: true,
  name: true,
  kind: true,
  baseUrl: true,
  authStyle: true,
  apiVersion: true,
  credentialsEnv: true,
  createdAt: true,
  updatedAt: true,
  _count: { select: { models: true } },
} as const;

export const providersRouter = createTRPCRouter({
  list: scoped("providers:read").query(async ({ ctx }) => {
    const rows = await ctx.db.providerAccount.findMany({
      where: { tenantId: ctx.tenantId },
      select: { ...publicFields, credentialsCiphertext: true },
      orderBy: { name: "asc" },
    });
    return rows.map(({ credentialsCiphertext, ...r }) => ({
      ...r,
      hasCredential: Boolean(credentialsCiphertext) || Boolean(r.credentialsEnv),
    }));
  }),

  upsert: scoped("providers:write")
    .input(providerSchema.extend({ id: z.string().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { id, credential, tenantId: _t, ...fields } = input;
      const secretPart = credential ? { credentialsCiphertext: encryptSecret(credential), credentialsEnv: null } : {};
      const row = await ctx.db.$transaction(async (tx) => {
        if (id) {
          const before = await tx.providerAccount.findFirst({
            where: { id, tenantId: ctx.tenantId },
            select: publicFields,
          });
          if (!before) throw new TRPCError({ code: "NOT_FOUND", message: "provider account not found" });
          const after = await tx.providerAccount.update({
            where: { id },
            data: { ...fields, ...secretPart },
            select: publicFields,
          });
          await writeAudit(tx, ctx, {
            action: "provider.update",
            resourceType: "provider_account",
            resourceId: id,
            before,
            after: { ...after, credentialChanged: Boolean(credential) },
          });
          return after;
        }
        const taken = await tx.providerAccount.findUnique({
          where: { tenantId_name: { tenantId: ctx.tenantId, name: fields.name } },
        });
        if (taken)
          throw new TRPCError({ code: "CONFLICT", message: `a provider account named "${fields.name}" exists` });
        const after = await tx.providerAccount.create({
          data: { tenantId: ctx.tenantId, ...fields, ...secretPart },
          select: publicFields,
        });
        await writeAudit(tx, ctx, {
          action: "provider.create",
          resourceType: "provider_account",
          resourceId: after.id,
          after: { ...after, credentialSet: Boolean(credential) },
        });
        return after;
      });
      await ctx.announce(ctx.tenantId, "provider.upsert");
      return row;
    }),
});
