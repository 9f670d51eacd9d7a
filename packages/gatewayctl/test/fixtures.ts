// Shared by gatewayctl's integration tests: the example file under a unique tenant slug, and clients for
// the shared test Postgres and Redis.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { createPrisma, CONFIG_CHANNEL, type ConfigChange } from "@gateway/db";
import { EXAMPLE_CONFIG_PATH, loadExampleConfig } from "../src/example.ts";

/** The mock provider is on loopback, as in the demo. */
export const applyEnv: NodeJS.ProcessEnv = { ...process.env, GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "1" };

export function uniqueSlug(prefix = "gwctl"): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

/** A fresh copy of the example with its tenant renamed; tests edit it freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function exampleConfig(slug = uniqueSlug()): any {
  return loadExampleConfig({ slug });
}

export function exampleText(slug: string): string {
  return readFileSync(EXAMPLE_CONFIG_PATH, "utf8").replace(/^(\s+- slug: )demo$/m, `$1${slug}`);
}

export function testPrisma() {
  return createPrisma(process.env.DATABASE_URL!, { max: 4 });
}

export function testRedis(): Redis {
  return new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 2 });
}

/** Listens on the config channel; `next(tenantId)` resolves with the first change for that tenant. */
export async function configListener(): Promise<{
  next: (tenantId: string) => Promise<ConfigChange>;
  close: () => void;
}> {
  const sub = testRedis();
  const seen: ConfigChange[] = [];
  const waiters: Array<{ tenantId: string; resolve: (c: ConfigChange) => void }> = [];
  sub.on("message", (_channel: string, message: string) => {
    const change = JSON.parse(message) as ConfigChange;
    seen.push(change);
    for (const w of waiters.filter((x) => x.tenantId === change.tenantId)) w.resolve(change);
  });
  await sub.subscribe(CONFIG_CHANNEL);
  return {
    next: (tenantId) =>
      new Promise((resolve) => {
        const already = seen.find((c) => c.tenantId === tenantId);
        if (already) resolve(already);
        else waiters.push({ tenantId, resolve });
      }),
    close: () => sub.disconnect(),
  };
}

/** Row counts of everything apply writes, for one tenant. */
export async function tenantRowCounts(prisma: ReturnType<typeof testPrisma>, slug: string) {
  const tenant = await prisma.tenant.findUnique({ where: { slug } });
  if (!tenant) return { tenants: 0 };
  const tenantId = tenant.id;
  return {
    tenants: 1,
    providers: await prisma.providerAccount.count({ where: { tenantId } }),
    models: await prisma.model.count({ where: { tenantId } }),
    prices: await prisma.modelPrice.count({ where: { model: { tenantId } } }),
    routes: await prisma.route.count({ where: { tenantId } }),
    routeVersions: await prisma.routeVersion.count({ where: { route: { tenantId } } }),
    apps: await prisma.app.count({ where: { tenantId } }),
    environments: await prisma.environment.count({ where: { tenantId } }),
    keys: await prisma.apiKey.count({ where: { tenantId } }),
    budgets: await prisma.budget.count({ where: { tenantId } }),
    rateLimits: await prisma.rateLimit.count({ where: { tenantId } }),
    alertRules: await prisma.alertRule.count({ where: { tenantId } }),
    updatedAt: tenant.updatedAt.toISOString(),
  };
}
