import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { scopesOf, type Role } from "@gateway/policy/scopes";
import { TenantShell } from "~/components/shell/tenant-shell.tsx";
import { env } from "~/env.ts";
import { requireUserId } from "~/server/auth/index.ts";
import { db } from "~/server/db.ts";

export const dynamic = "force-dynamic";

export default async function TenantLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ tenant: string }>;
}) {
  const userId = await requireUserId();
  const { tenant: slug } = await params;
  const [user, memberships] = await Promise.all([
    db.user.findUnique({ where: { id: userId }, select: { email: true, name: true } }),
    db.membership.findMany({
      where: { userId },
      include: { tenant: { select: { id: true, slug: true, name: true } } },
      orderBy: { createdAt: "asc" },
    }),
  ]);
  const current = memberships.find((m) => m.tenant.slug === slug);
  // Not a member: the same 404 as a tenant that does not exist.
  if (!user || !current) notFound();
  const role = current.role as Role;
  return (
    <TenantShell
      tenant={{ ...current.tenant, role, scopes: [...scopesOf(role)], proxyUrl: env.PROXY_URL }}
      tenants={memberships.map((m) => ({ slug: m.tenant.slug, name: m.tenant.name, role: m.role }))}
      user={user}
    >
      {children}
    </TenantShell>
  );
}
