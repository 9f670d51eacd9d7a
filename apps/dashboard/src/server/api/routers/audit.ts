import { z } from "zod";
import type { Prisma } from "@gateway/db";
import { createTRPCRouter, scoped } from "../trpc.ts";

export const auditRouter = createTRPCRouter({
  list: scoped("audit:read")
    .input(
      z.object({
        page: z.number().int().min(1).default(1),
        pageSize: z.number().int().min(1).max(100).default(25),
        resourceType: z.string().optional(),
        q: z.string().trim().max(80).default(""),
        dir: z.enum(["asc", "desc"]).default("desc"),
      }),
    )
    .query(async ({ ctx, input }) => {
      const where: Prisma.AuditLogWhereInput = {
        tenantId: ctx.tenantId,
        ...(input.resourceType ? { resourceType: input.resourceType } : {}),
        ...(input.q
          ? { OR: [{ action: { contains: input.q } }, { actorName: { contains: input.q, mode: "insensitive" } }] }
          : {}),
      };
      const [total, rows, types] = await Promise.all([
        ctx.db.auditLog.count({ where }),
        ctx.db.auditLog.findMany({
          where,
          orderBy: [{ createdAt: input.dir }, { id: input.dir }],
          skip: (input.page - 1) * input.pageSize,
          take: input.pageSize,
        }),
        ctx.db.auditLog.groupBy({ by: ["resourceType"], where: { tenantId: ctx.tenantId } }),
      ]);
      return {
        total,
        rows,
        page: input.page,
        pageSize: input.pageSize,
        resourceTypes: types.map((t) => t.resourceType),
      };
    }),
});
