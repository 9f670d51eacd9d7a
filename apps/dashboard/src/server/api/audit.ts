// Every dashboard mutation leaves an audit row: who, what, before and after. Secrets never go in.
import type { Prisma, PrismaClient } from "@gateway/db";

type Tx = Pick<PrismaClient, "auditLog">;

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  before?: unknown;
  after?: unknown;
}

// BigInt and Date are not JSON; audit rows keep them as strings.
function toJson(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  ) as Prisma.InputJsonValue;
}

export async function writeAudit(
  tx: Tx,
  actor: { tenantId: string; user: { id: string; email: string; name: string | null } },
  entry: AuditEntry,
): Promise<void> {
  await tx.auditLog.create({
    data: {
      tenantId: actor.tenantId,
      actorType: "user",
      actorId: actor.user.id,
      actorName: actor.user.name ?? actor.user.email,
      action: entry.action,
      resourceType: entry.resourceType,
      resourceId: entry.resourceId ?? null,
      before: toJson(entry.before),
      after: toJson(entry.after),
    },
  });
}
