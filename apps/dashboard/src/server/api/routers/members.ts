import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { hashToken } from "@gateway/db/secrets";
import { ROLES } from "@gateway/policy/scopes";
import { inviteSchema } from "../../../lib/schemas/tenancy.ts";
import { writeAudit } from "../audit.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

const INVITE_DAYS = 7;

export const membersRouter = createTRPCRouter({
  list: scoped("members:read").query(async ({ ctx }) => {
    const [members, invitations] = await Promise.all([
      ctx.db.membership.findMany({
        where: { tenantId: ctx.tenantId },
        include: { user: { select: { id: true, email: true, name: true } } },
        orderBy: { createdAt: "asc" },
      }),
      ctx.db.invitation.findMany({
        where: { tenantId: ctx.tenantId, acceptedAt: null },
        select: { id: true, email: true, role: true, expiresAt: true, createdAt: true },
        orderBy: { createdAt: "desc" },
      }),
    ]);
    return { members, invitations };
  }),

  /** Creates an invitation; the token is returned once and stored only as a keyed hash. */
  invite: scoped("members:manage")
    .input(inviteSchema)
    .mutation(async ({ ctx, input }) => {
      if (input.role === "owner" && ctx.role !== "owner") {
        throw new TRPCError({ code: "FORBIDDEN", message: "only an owner can invite another owner" });
      }
      const token = randomBytes(24).toString("base64url");
      const invitation = await ctx.db.$transaction(async (tx) => {
        const row = await tx.invitation.create({
          data: {
            tenantId: ctx.tenantId,
            email: input.email,
            role: input.role,
            tokenHash: hashToken(token),
            invitedById: ctx.user.id,
            expiresAt: new Date(Date.now() + INVITE_DAYS * 86_400_000),
          },
          select: { id: true, email: true, role: true, expiresAt: true },
        });
        await writeAudit(tx, ctx, {
          action: "invitation.create",
          resourceType: "invitation",
          resourceId: row.id,
          after: row,
        });
        return row;
      });
      return { invitation, token };
    }),

  revokeInvitation: scoped("members:manage")
    .input(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.db.$transaction(async (tx) => {
        const row = await tx.invitation.findFirst({ where: { id: input.id, tenantId: ctx.tenantId } });
        if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "invitation not found" });
        await tx.invitation.delete({ where: { id: row.id } });
        await writeAudit(tx, ctx, {
          action: "invitation.revoke",
          resourceType: "invitation",
          resourceId: row.id,
          before: { email: row.email, role: row.role },
        });
      });
    }),

  changeRole: scoped("members:manage")
    .input(z.object({ membershipId: z.string(), role: z.enum(ROLES) }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.$transaction(async (tx) => {
        const row = await tx.membership.findFirst({ where: { id: input.membershipId, tenantId: ctx.tenantId } });
        if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "member not found" });
        if ((row.role === "owner" || input.role === "owner") && ctx.role !== "owner") {
          throw new TRPCError({
            code: "FORBIDDEN",
            message: "only an owner can change an owner's role or make owners",
          });
        }
        if (row.role === "owner" && input.role !== "owner") {
          const owners = await tx.membership.count({ where: { tenantId: ctx.tenantId, role: "owner" } });
          if (owners <= 1) throw new TRPCError({ code: "BAD_REQUEST", message: "a tenant needs at least one owner" });
        }
        const after = await tx.membership.update({ where: { id: row.id }, data: { role: input.role } });
        await writeAudit(tx, ctx, {
          action: "member.role",
          resourceType: "membership",
          resourceId: row.id,
          before: { userId: row.userId, role: row.role },
          after: { userId: row.userId, role: after.role },
        });
        return after;
      });
    }),

  remove: scoped("members:manage")
    .input(z.object({ membershipId: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.db.$transaction(async (tx) => {
        const row = await tx.membership.findFirst({ where: { id: input.membershipId, tenantId: ctx.tenantId } });
        if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "member not found" });
        if (row.role === "owner") {
          if (ctx.role !== "owner")
            throw new TRPCError({ code: "FORBIDDEN", message: "only an owner can remove an owner" });
          const owners = await tx.membership.count({ where: { tenantId: ctx.tenantId, role: "owner" } });
          if (owners <= 1) throw new TRPCError({ code: "BAD_REQUEST", message: "a tenant needs at least one owner" });
        }
        await tx.membership.delete({ where: { id: row.id } });
        await writeAudit(tx, ctx, {
          action: "member.remove",
          resourceType: "membership",
          resourceId: row.id,
          before: { userId: row.userId, role: row.role },
        });
      });
    }),
});
