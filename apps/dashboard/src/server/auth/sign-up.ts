// Sign-up rules: the very first user creates the first tenant and owns it; everyone after joins a tenant
// through an invitation (whose token is stored only as a keyed hash).
import type { PrismaClient } from "@gateway/db";
import { hashToken } from "@gateway/db/secrets";
import { hashPassword, verifyPassword } from "./password.ts";

export type SignUpResult =
  { ok: true; userId: string; tenantSlug: string } | { ok: false; field: string; message: string };

function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return s.length >= 2 ? s : `tenant-${s}`;
}

export async function signUp(
  db: PrismaClient,
  input: {
    name: string;
    email: string;
    password: string;
    tenantName?: string | undefined;
    inviteToken?: string | undefined;
  },
): Promise<SignUpResult> {
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    // Serialises sign-ups so two people racing for "first user" cannot both create a first tenant.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(815001)`;
    const existing = await tx.user.findUnique({ where: { email: input.email } });

    if (input.inviteToken) {
      const invitation = await tx.invitation.findUnique({
        where: { tokenHash: hashToken(input.inviteToken) },
        include: { tenant: true },
      });
      if (!invitation || invitation.acceptedAt || invitation.expiresAt < new Date()) {
        return { ok: false as const, field: "inviteToken", message: "this invitation is invalid, used or expired" };
      }
      if (invitation.email !== input.email) {
        return { ok: false as const, field: "email", message: "use the email address the invitation was sent to" };
      }
      let userId: string;
      if (existing) {
        // Someone who already has an account accepts with their existing password.
        if (!existing.passwordHash || !(await verifyPassword(input.password, existing.passwordHash))) {
          return { ok: false as const, field: "password", message: "you already have an account: enter its password" };
        }
        userId = existing.id;
      } else {
        userId = (await tx.user.create({ data: { email: input.email, name: input.name, passwordHash } })).id;
      }
      await tx.membership.upsert({
        where: { tenantId_userId: { tenantId: invitation.tenantId, userId } },
        create: { tenantId: invitation.tenantId, userId, role: invitation.role },
        update: { role: invitation.role },
      });
      await tx.invitation.update({ where: { id: invitation.id }, data: { acceptedAt: new Date() } });
      await tx.auditLog.create({
        data: {
          tenantId: invitation.tenantId,
          actorType: "user",
          actorId: userId,
          actorName: input.name || input.email,
          action: "invitation.accept",
          resourceType: "membership",
          resourceId: userId,
          after: { email: input.email, role: invitation.role },
        },
      });
      return { ok: true as const, userId, tenantSlug: invitation.tenant.slug };
    }

    if (existing)
      return { ok: false as const, field: "email", message: "an account with this email exists: sign in instead" };
    const users = await tx.user.count();
    if (users > 0) {
      return {
        ok: false as const,
        field: "inviteToken",
        message: "this gateway already has users: ask an admin for an invitation",
      };
    }
    const tenantName = input.tenantName?.trim() || "My company";
    const user = await tx.user.create({ data: { email: input.email, name: input.name, passwordHash } });
    const tenant = await tx.tenant.create({ data: { name: tenantName, slug: slugify(tenantName) } });
    await tx.membership.create({ data: { tenantId: tenant.id, userId: user.id, role: "owner" } });
    await tx.auditLog.create({
      data: {
        tenantId: tenant.id,
        actorType: "user",
        actorId: user.id,
        actorName: input.name,
        action: "tenant.create",
        resourceType: "tenant",
        resourceId: tenant.id,
        after: { name: tenant.name, slug: tenant.slug, owner: user.email },
      },
    });
    return { ok: true as const, userId: user.id, tenantSlug: tenant.slug };
  });
}
