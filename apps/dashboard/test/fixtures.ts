// Test fixtures: a tenant with one user per role, an app with environments, a provider, priced models and a
// route — all under a unique slug, since every test file shares one database.
import { randomUUID } from "node:crypto";
import { createPrisma, type PrismaClient } from "@gateway/db";
import { ROLES, type Role } from "@gateway/policy/scopes";
import { createCaller } from "../src/server/api/root.ts";

export const db: PrismaClient = createPrisma(process.env.DATABASE_URL!, { max: 4 });

export interface Announcement {
  tenantId: string;
  reason: string;
}

export function callerFor(userId: string, announced: Announcement[] = []) {
  return createCaller({
    db,
    session: { user: { id: userId } },
    announce: async (tenantId, reason) => {
      announced.push({ tenantId, reason });
    },
  });
}

export async function makeTenant(label: string) {
  const slug = `${label}-${randomUUID().slice(0, 8)}`;
  const tenant = await db.tenant.create({ data: { slug, name: `Tenant ${slug}` } });
  const users = {} as Record<Role, { id: string; email: string }>;
  for (const role of ROLES) {
    const user = await db.user.create({ data: { email: `${role}-${slug}@example.test`, name: `${role} of ${slug}` } });
    await db.membership.create({ data: { tenantId: tenant.id, userId: user.id, role } });
    users[role] = { id: user.id, email: user.email };
  }
  const app = await db.app.create({
    data: {
      tenantId: tenant.id,
      slug: "support",
      name: "Support bot",
      environments: {
        create: [
          { tenantId: tenant.id, name: "development" },
          { tenantId: tenant.id, name: "production" },
        ],
      },
    },
    include: { environments: true },
  });
  const provider = await db.providerAccount.create({
    data: { tenantId: tenant.id, name: "mock", kind: "openai", baseUrl: "http://127.0.0.1:1/v1" },
  });
  const models = [];
  for (const [name, inP, outP] of [
    ["fast", 150_000n, 600_000n],
    ["strong", 2_500_000n, 10_000_000n],
  ] as const) {
    models.push(
      await db.model.create({
        data: {
          tenantId: tenant.id,
          name,
          providerAccountId: provider.id,
          upstreamModel: `${name}-upstream`,
          prices: {
            create: {
              effectiveFrom: new Date("2024-01-01T00:00:00Z"),
              inputMicrosPerMTok: inP,
              outputMicrosPerMTok: outP,
            },
          },
        },
      }),
    );
  }
  const route = await db.route.create({
    data: {
      tenantId: tenant.id,
      name: "support-summary",
      currentVersion: 1,
      versions: {
        create: {
          version: 1,
          riskLevel: "low",
          targets: [{ model: "fast" }, { model: "strong" }],
          maxOutputTokens: 500,
        },
      },
    },
  });
  const env = app.environments.find((e) => e.name === "production")!;
  const key = await db.apiKey.create({
    data: {
      tenantId: tenant.id,
      appId: app.id,
      environmentId: env.id,
      name: "seeded",
      prefix: `gw_${randomUUID().slice(0, 8)}`,
      hash: randomUUID(),
    },
  });
  const now = new Date();
  await db.requestLog.create({
    data: {
      id: `req_${randomUUID()}`,
      createdAt: now,
      tenantId: tenant.id,
      appId: app.id,
      apiKeyId: key.id,
      routeName: route.name,
      routeVersion: 1,
      requestedModel: route.name,
      finalModel: "fast",
      status: "success",
      httpStatus: 200,
      latencyMs: 120,
      costMicros: 42n,
      requestBody: { messages: [{ role: "user", content: "secret-prompt" }] },
    },
  });
  return { tenant, users, app, env, provider, models, route, key };
}

export type TenantFixture = Awaited<ReturnType<typeof makeTenant>>;
