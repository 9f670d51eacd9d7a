// The very first user of a gateway creates the first tenant and owns it; nobody after them can. Needs an
// empty database, so this file makes its own, migrates it, and drops it afterwards.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, createPrisma, type PrismaClient } from "@gateway/db";
import { verifyPassword } from "../src/server/auth/password.ts";
import { signUp } from "../src/server/auth/sign-up.ts";

const name = `gateway_signup_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const admin = new URL(process.env.DATABASE_URL!);
admin.pathname = "/postgres";
const url = new URL(process.env.DATABASE_URL!);
url.pathname = `/${name}`;
let db: PrismaClient;

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await adminQuery(`CREATE DATABASE "${name}"`);
  await applyMigrations(url.toString());
  db = createPrisma(url.toString(), { max: 4 });
});

afterAll(async () => {
  await db.$disconnect();
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});

describe("first user", () => {
  it("creates the first tenant as its owner, once, even when two people race for it", async () => {
    const [a, b] = await Promise.all([
      signUp(db, { name: "Ada", email: "ada@example.test", password: "long-enough-password", tenantName: "Acme Labs" }),
      signUp(db, { name: "Bob", email: "bob@example.test", password: "long-enough-password", tenantName: "Bob Co" }),
    ]);
    const winners = [a, b].filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    expect([a, b].filter((r) => !r.ok)).toEqual([expect.objectContaining({ ok: false, field: "inviteToken" })]);
    expect(await db.tenant.count()).toBe(1);
    const tenant = await db.tenant.findFirstOrThrow();
    const membership = await db.membership.findFirstOrThrow({ include: { user: true } });
    expect(membership.role).toBe("owner");
    expect(membership.tenantId).toBe(tenant.id);
    expect(await verifyPassword("long-enough-password", membership.user.passwordHash!)).toBe(true);
    expect(await db.auditLog.count({ where: { tenantId: tenant.id, action: "tenant.create" } })).toBe(1);
    expect(winners[0]).toMatchObject({ tenantSlug: tenant.slug });
  });
});
