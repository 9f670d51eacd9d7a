// tRPC: the context, the procedure chain and the error formatter.
//   publicProcedure → protectedProcedure (a signed-in user) → tenantProcedure (input.tenantId; membership
//   looked up; ctx narrowed to that tenant and role) → scoped(scope) (can(role, scope) from @gateway/policy).
// Every tenant query must filter by ctx.tenantId; nothing of one tenant is reachable from another's context.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { PrismaClient } from "@gateway/db";
import { can, type Role, type Scope } from "@gateway/policy/scopes";

export interface SessionLike {
  user: { id: string; email?: string | null; name?: string | null };
}

export interface Context {
  db: PrismaClient;
  session: SessionLike | null;
  /** Announces a config change to running proxies (Redis pub/sub); injected so tests can observe it. */
  announce: (tenantId: string, reason: string) => Promise<void>;
  headers?: Headers;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure;

export const protectedProcedure = t.procedure.use(async ({ ctx, next }) => {
  const userId = ctx.session?.user.id;
  if (!userId) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  const user = await ctx.db.user.findUnique({ where: { id: userId }, select: { id: true, email: true, name: true } });
  if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "your account no longer exists" });
  return next({ ctx: { ...ctx, user } });
});

export const tenantInput = z.object({ tenantId: z.string().min(1) });

export const tenantProcedure = protectedProcedure.input(tenantInput).use(async ({ ctx, input, next }) => {
  const membership = await ctx.db.membership.findUnique({
    where: { tenantId_userId: { tenantId: input.tenantId, userId: ctx.user.id } },
    select: { role: true },
  });
  // Same answer for "no such tenant" and "not yours": a tenant's existence is not disclosed.
  if (!membership) throw new TRPCError({ code: "FORBIDDEN", message: "you are not a member of this tenant" });
  return next({ ctx: { ...ctx, tenantId: input.tenantId, role: membership.role as Role } });
});

/** A tenant procedure that also requires `scope` for the caller's role. */
export function scoped(scope: Scope) {
  return tenantProcedure.use(({ ctx, next }) => {
    if (!can(ctx.role, scope)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `your role (${ctx.role}) lacks the ${scope} scope` });
    }
    return next();
  });
}
