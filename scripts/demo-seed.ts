// Seeds the demo: applies examples/gateway.yaml exactly as `gatewayctl apply` would, keeps the secrets of
// the keys it created in .data/demo-keys.json (mode 600, never committed) so a re-run can still show one,
// and creates one dashboard user per persona. Prints JSON for scripts/demo.mjs on stdout.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { getPrisma, hashApiKey } from "@gateway/db";
import { applyConfig, createKey } from "gatewayctl";
import { hashPassword } from "../apps/dashboard/src/server/auth/password.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const keysFile = path.join(root, ".data", "demo-keys.json");
const prisma = getPrisma();
const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 2 });
const actor = { type: "cli", name: "demo-seed" };

try {
  const result = await applyConfig(prisma, redis, readFileSync(path.join(root, "examples", "gateway.yaml"), "utf8"), { actor });
  const stored: Record<string, string> = existsSync(keysFile) ? JSON.parse(readFileSync(keysFile, "utf8")) : {};
  for (const k of result.keys) if (k.secret) stored[`${k.tenant}/${k.app}/${k.env}/${k.name}`] = k.secret;

  const wanted = "demo/support-bot/production/default";
  // A stored secret only helps if the database still knows it (a wiped database or a new
  // GATEWAY_SECRET_KEY makes it useless): check its keyed hash.
  const known = stored[wanted] ? await prisma.apiKey.findUnique({ where: { hash: hashApiKey(stored[wanted]) } }) : null;
  if (!known || known.revokedAt) delete stored[wanted];
  if (!stored[wanted]) {
    // The key exists from an earlier run whose secret we no longer have: make a fresh console key instead.
    const name = `demo-console-${Date.now()}`;
    const created = await createKey(
      prisma,
      redis,
      { tenant: "demo", app: "support-bot", env: "production", name, allowedRoutes: ["support-summary", "support-summary-lite", "ticket-triage", "refund-decision"], allowedModels: ["text-embedding-3-small"] },
      actor,
    );
    stored[wanted] = created.secret;
  }
  mkdirSync(path.dirname(keysFile), { recursive: true });
  writeFileSync(keysFile, JSON.stringify(stored, null, 2), { mode: 0o600 });

  const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: "demo" } });
  const password = "demo-password";
  const personas = [
    { email: "owner@demo.local", name: "Olivia Owner", role: "owner" },
    { email: "platform@demo.local", name: "Pat Platform", role: "platform" },
    { email: "product@demo.local", name: "Priya Product", role: "product" },
    { email: "finance@demo.local", name: "Finn Finance", role: "finance" },
    { email: "viewer@demo.local", name: "Vic Viewer", role: "viewer" },
  ] as const;
  for (const p of personas) {
    const existing = await prisma.user.findUnique({ where: { email: p.email } });
    const user = existing ?? (await prisma.user.create({ data: { email: p.email, name: p.name, passwordHash: await hashPassword(password) } }));
    await prisma.membership.upsert({
      where: { tenantId_userId: { tenantId: tenant.id, userId: user.id } },
      create: { tenantId: tenant.id, userId: user.id, role: p.role },
      update: { role: p.role },
    });
  }
  process.stdout.write(JSON.stringify({ key: stored[wanted], user: { email: personas[0].email, password }, personas: personas.map((p) => `${p.email} (${p.role})`) }));
} finally {
  redis.disconnect();
  await prisma.$disconnect();
}
