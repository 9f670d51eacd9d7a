// The review queue: high-risk routes stop instead of falling back and open an item for a person.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { writeAudit } from "../audit.ts";
import { createTRPCRouter, scoped } from "../trpc.ts";

export const reviewsRouter = createTRPCRouter({
  list: scoped("reviews:read")
    .input(
      z.object({
        status: z.enum(["open", "assigned", "resolved", "all"]).default("open"),
        page: z.number().int().min(1).default(1),
      }),
    )
    .query(async ({ ctx, input }) => {
      const where = {
        tenantId: ctx.tenantId,
        ...(input.status === "all"
          ? {}
          : input.status === "open"
            ? { status: { in: ["open", "assigned"] as ("open" | "assigned")[] } }
            : { status: input.status }),
      };
      const pageSize = 25;
      const [total, rows, members] = await Promise.all([
        ctx.db.reviewItem.count({ where }),
        ctx.db.reviewItem.findMany({
          where,
          include: { assignee: { select: { id: true, email: true, name: true } } },
          orderBy: { createdAt: "desc" },
          skip: (input.page - 1) * pageSize,
          take: pageSize,
        }),
        ctx.db.membership.findMany({
          where: { tenantId: ctx.tenantId },
          include: { user: { select: { id: true, email: true, name: true } } },
        }),
      ]);
      return { total, rows, pageSize, assignees: members.map((m) => m.user) };
    }),

  assign: scoped("reviews:write")
    .input(z.object({ id: z.string(), assigneeId: z.string().nullable() }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.$transaction(async (tx) => {
        const before = await tx.reviewItem.findFirst({ where: { id: input.id, tenantId: ctx.tenantId } });
        if (!before) throw new TRPCError({ code: "NOT_FOUND", message: "review item not found" });
        if (before.status === "resolved") throw new TRPCError({ code: "BAD_REQUEST", message: "already resolved" });
        if (input.assigneeId) {
          const member = await tx.membership.findFirst({ where: { tenantId: ctx.tenantId, userId: input.assigneeId } });
          if (!member)
            throw new TRPCError({ code: "BAD_REQUEST", message: "the assignee is not a member of this tenant" });
        }
        const after = await tx.reviewItem.update({
          where: { id: before.id },
          data: { assigneeId: input.assigneeId, status: input.assigneeId ? "assigned" : "open" },
        });
        await writeAudit(tx, ctx, {
          action: "review.assign",
          resourceType: "review_item",
          resourceId: before.id,
          before,
          after,
        });
        return after;
      });
    }),

  resolve: scoped("reviews:write")
    .input(z.object({ id: z.string(), note: z.string().trim().min(1, "say what was decided").max(2000) }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.$transaction(async (tx) => {
        const before = await tx.reviewItem.findFirst({ where: { id: input.id, tenantId: ctx.tenantId } });
        if (!before) throw new TRPCError({ code: "NOT_FOUND", message: "review item not found" });
        if (before.status === "resolved") throw new TRPCError({ code: "BAD_REQUEST", message: "already resolved" });
        const after = await tx.reviewItem.update({
          where: { id: before.id },
          data: {
            status: "resolved",
            resolutionNote: input.note,
            resolvedAt: new Date(),
            assigneeId: before.assigneeId ?? ctx.user.id,
          },
        });
        await writeAudit(tx, ctx, {
          action: "review.resolve",
          resourceType: "review_item",
          resourceId: before.id,
          before,
          after,
        });
        return after;
      });
    }),
});
