// The real stack the browser tests run against, started by global-setup.ts as a child process:
// migrates the e2e database, seeds a tenant from examples/gateway.yaml with gatewayctl's applyConfig
// (against an in-process mock provider), one user per role, rollups/logs/review items so every page has
// data, and starts the proxy. Writes what the tests need to STACK_FILE, then runs until SIGTERM.
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { applyMigrations, createPrisma } from "@gateway/db";
import { startMockProvider } from "@gateway/mock-provider";
import { startProxy, loadProxyEnv } from "@gateway/proxy";
import { applyConfig, createKey, loadExampleConfig } from "gatewayctl";
import { hashPassword } from "../apps/dashboard/src/server/auth/password.ts";

const databaseUrl = process.env.DATABASE_URL!;
const stackFile = process.env.STACK_FILE!;
const proxyPort = Number(process.env.E2E_PROXY_PORT);
export const PASSWORD = "e2e-password-123";
export const ROLES = ["owner", "admin", "platform", "product", "finance", "viewer"] as const;

await applyMigrations(databaseUrl);
const prisma = createPrisma(databaseUrl, { max: 4 });
const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 2 });
const mock = await startMockProvider({ port: 0, host: "127.0.0.1" });

const slug = "e2e";
const config = loadExampleConfig({ slug });
config.tenants[0].name = "E2E Corp";
const applied = await applyConfig(prisma, redis, config, {
  actor: { type: "cli", name: "e2e-seed" },
  env: { ...process.env, MOCK_PROVIDER_URL: mock.url },
});
const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug } });

// A second tenant the e2e users are not members of: pages must never show its data.
const other = await applyConfig(prisma, redis, loadExampleConfig({ slug: "e2e-other" }), {
  actor: { type: "cli", name: "e2e-seed" },
  env: { ...process.env, MOCK_PROVIDER_URL: mock.url },
});
void other;

const users: Record<string, string> = {};
const passwordHash = await hashPassword(PASSWORD);
for (const role of ROLES) {
  const email = `${role}@e2e.test`;
  const user = await prisma.user.upsert({
    where: { email },
    create: { email, name: `${role[0]!.toUpperCase()}${role.slice(1)} E2E`, passwordHash },
    update: { passwordHash },
  });
  await prisma.membership.upsert({
    where: { tenantId_userId: { tenantId: tenant.id, userId: user.id } },
    create: { tenantId: tenant.id, userId: user.id, role },
    update: { role },
  });
  users[role] = email;
}

// The owner also holds a viewer seat in the second tenant (the switcher has somewhere to go); a third tenant
// has no e2e members at all and must stay a 404.
const otherTenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: "e2e-other" } });
const ownerUser = await prisma.user.findUniqueOrThrow({ where: { email: users.owner! } });
await prisma.membership.upsert({
  where: { tenantId_userId: { tenantId: otherTenant.id, userId: ownerUser.id } },
  create: { tenantId: otherTenant.id, userId: ownerUser.id, role: "viewer" },
  update: { role: "viewer" },
});
await prisma.tenant.upsert({
  where: { slug: "e2e-closed" },
  create: { slug: "e2e-closed", name: "Closed Ltd" },
  update: {},
});

// Two weeks of hourly/daily rollups so the cost and reliability dashboards have something to draw.
const apps = await prisma.app.findMany({ where: { tenantId: tenant.id } });
const keys = await prisma.apiKey.findMany({ where: { tenantId: tenant.id, revokedAt: null } });
const combos = [
  { route: "support-summary", model: "gpt-4o-mini", cost: 900, lat: 420 },
  { route: "ticket-triage", model: "gpt-4o-mini", cost: 400, lat: 300 },
  { route: "ticket-triage", model: "claude-3-5-haiku", cost: 1500, lat: 650 },
  { route: "refund-decision", model: "gpt-4o", cost: 9000, lat: 1800 },
];
const now = new Date();
const hour0 = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
const hist = (ms: number, n: number) => ({
  [String(Math.ceil(Math.log(ms) / Math.log(1.05)))]: Math.ceil(n * 0.8),
  [String(Math.ceil(Math.log(ms * 2.5) / Math.log(1.05)))]: Math.floor(n * 0.2),
});
const hourly = [];
for (let h = 0; h < 14 * 24; h += 3) {
  const bucketStart = new Date(hour0.getTime() - h * 3_600_000);
  for (const [i, c] of combos.entries()) {
    const app = apps[i % apps.length]!;
    const key = keys.find((k) => k.appId === app.id) ?? keys[0]!;
    const requests = 20 + ((h * 7 + i * 13) % 30);
    const errors = (h + i) % 9 === 0 ? 3 : (h + i) % 4 === 0 ? 1 : 0;
    const fallbacks = c.route === "refund-decision" ? 0 : (h + i) % 5 === 0 ? 2 : 0;
    hourly.push({
      bucketStart,
      tenantId: tenant.id,
      appId: app.id,
      environment: "production",
      apiKeyId: key.id,
      routeName: c.route,
      model: c.model,
      requests,
      successes: requests - errors,
      errors,
      errorsByClass: errors ? { upstream_timeout: errors } : {},
      fallbacks,
      inputTokens: BigInt(requests * 800),
      outputTokens: BigInt(requests * 200),
      costMicros: BigInt(requests * c.cost),
      successCostMicros: BigInt((requests - errors) * c.cost),
      latencyHist: hist(c.lat, requests),
      feedbackAccepted: Math.floor(requests / 2),
    });
  }
}
await prisma.rollupHourly.createMany({ data: hourly, skipDuplicates: true });
const daily = new Map<string, (typeof hourly)[number]>();
for (const r of hourly) {
  const day = new Date(Math.floor(r.bucketStart.getTime() / 86_400_000) * 86_400_000);
  const k = `${day.toISOString()}|${r.routeName}|${r.model}|${r.appId}`;
  const d = daily.get(k);
  if (!d) daily.set(k, { ...r, bucketStart: day, latencyHist: { ...r.latencyHist } });
  else {
    d.requests += r.requests;
    d.successes += r.successes;
    d.errors += r.errors;
    d.fallbacks += r.fallbacks;
    d.inputTokens += r.inputTokens;
    d.outputTokens += r.outputTokens;
    d.costMicros += r.costMicros;
    d.successCostMicros += r.successCostMicros;
    d.feedbackAccepted += r.feedbackAccepted;
    for (const [b, n] of Object.entries(r.latencyHist)) d.latencyHist[b] = (d.latencyHist[b] ?? 0) + n;
  }
}
await prisma.rollupDaily.createMany({ data: [...daily.values()], skipDuplicates: true });

if ((await prisma.reviewItem.count({ where: { tenantId: tenant.id, status: { not: "resolved" } } })) === 0) {
  await prisma.reviewItem.create({
    data: {
      tenantId: tenant.id,
      requestId: `req_${randomUUID()}`,
      routeName: "refund-decision",
      routeVersion: 1,
      errorCode: "upstream_timeout",
      reason: "gpt-4o timed out after 60000 ms; high risk: no fallback",
    },
  });
}

// One fired alert with a failed then successful webhook delivery, for the alerts page.
const rule = await prisma.alertRule.findFirst({ where: { tenantId: tenant.id } });
if (rule && (await prisma.alertEvent.count({ where: { tenantId: tenant.id } })) === 0) {
  await prisma.alertEvent.create({
    data: {
      tenantId: tenant.id,
      ruleId: rule.id,
      kind: rule.kind,
      dedupeKey: `e2e:${rule.id}:${randomUUID()}`,
      payload: { rule: rule.name, value: 0.14, threshold: 0.1 },
      status: "delivered",
      deliveredAt: new Date(),
      deliveries: {
        create: [
          { attempt: 1, status: "failed", responseStatus: 503, error: "upstream unavailable" },
          { attempt: 2, status: "delivered", responseStatus: 200 },
        ],
      },
    },
  });
}

const proxy = await startProxy({
  env: loadProxyEnv({
    ...process.env,
    GATEWAY_PORT: String(proxyPort),
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "1",
    GATEWAY_CONFIG_POLL_MS: "1000",
    GATEWAY_JOURNAL_DIR: path.join(path.dirname(stackFile), "journal"),
  }),
  lastUsedIntervalMs: 500,
  logWriter: { flushIntervalMs: 200 },
});

// A little real traffic through the proxy, so the request log explorer has rows with attempts.
const traffic = await createKey(
  prisma,
  redis,
  {
    tenant: slug,
    app: "support-bot",
    env: "production",
    name: `e2e-traffic-${Date.now()}`,
    allowedRoutes: [],
    allowedModels: [],
  },
  { type: "cli", name: "e2e-seed" },
);
await proxy.reloadConfig();
for (const model of ["support-summary", "ticket-triage", "support-summary"]) {
  const res = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${traffic.secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Where is my parcel?" }] }),
  });
  await res.arrayBuffer();
  if (res.status >= 500) throw new Error(`seed traffic: ${model} answered ${res.status}`);
}
await proxy.flushLogs();

mkdirSync(path.dirname(stackFile), { recursive: true });
writeFileSync(
  stackFile,
  JSON.stringify(
    {
      tenantSlug: slug,
      tenantId: tenant.id,
      proxyUrl: proxy.url,
      mockUrl: mock.url,
      users,
      password: PASSWORD,
      createdKeys: applied.keys.filter((k) => k.secret).length,
    },
    null,
    2,
  ),
);
console.log(`[e2e stack] ready: proxy ${proxy.url}, mock ${mock.url}`);

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  await proxy.close();
  await mock.close();
  redis.disconnect();
  await prisma.$disconnect();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
