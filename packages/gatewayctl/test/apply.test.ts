// gatewayctl apply against the real Postgres and Redis: the example applies, re-applies with no change and
// no new key, an edit versions its route, a wrong file is refused whole, and export round-trips.
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSecret, hashApiKey } from "@gateway/db";
import { routeVersionSpecSchema } from "@gateway/policy/route-spec";
import { applyConfig, ConfigValidationError, exportConfig, parseConfigFile } from "../src/index.ts";
import {
  applyEnv,
  configListener,
  exampleConfig,
  exampleText,
  tenantRowCounts,
  testPrisma,
  testRedis,
  uniqueSlug,
} from "./fixtures.ts";

const prisma = testPrisma();
const redis = testRedis();
afterAll(async () => {
  await prisma.$disconnect();
  redis.disconnect();
});

describe("applying the example", () => {
  const slug = uniqueSlug();
  let listener: Awaited<ReturnType<typeof configListener>>;
  let result: Awaited<ReturnType<typeof applyConfig>>;

  beforeAll(async () => {
    listener = await configListener();
    result = await applyConfig(prisma, redis, exampleText(slug), { env: applyEnv });
  });
  afterAll(() => listener.close());

  it("creates the tenant and everything it declares", async () => {
    expect(await tenantRowCounts(prisma, slug)).toMatchObject({
      tenants: 1,
      providers: 3,
      models: 6,
      prices: 6,
      routes: 4,
      routeVersions: 4,
      apps: 2,
      environments: 4,
      keys: 4,
      budgets: 4, // tenant, app, route, and the production key's own
      rateLimits: 4,
      alertRules: 2,
    });
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug } });
    expect(tenant).toMatchObject({ logBodies: true, retentionDays: 30, budgetFailMode: "closed" });
  });

  it("prints each new key's secret once, and stores only its hash and prefix", async () => {
    expect(result.keys).toHaveLength(4);
    for (const k of result.keys) {
      expect(k).toMatchObject({ tenant: slug, created: true });
      expect(k.secret).toMatch(/^gw_/);
      const row = await prisma.apiKey.findFirstOrThrow({
        where: { tenant: { slug }, app: { slug: k.app }, environment: { name: k.env }, name: k.name },
      });
      expect(row.hash).toBe(hashApiKey(k.secret!));
      expect(k.secret!.startsWith(row.prefix)).toBe(true);
      expect(JSON.stringify(row)).not.toContain(k.secret!);
    }
    const audit = await prisma.auditLog.findMany({ where: { tenant: { slug } } });
    const everything = JSON.stringify([audit, await prisma.apiKey.findMany({ where: { tenant: { slug } } })]);
    for (const k of result.keys) expect(everything).not.toContain(k.secret!);
  });

  it("stores scope, limits and expiry on the keys, and the key budget as a key-scoped budget", async () => {
    const staging = await prisma.apiKey.findFirstOrThrow({
      where: { tenant: { slug }, app: { slug: "support-bot" }, environment: { name: "staging" } },
    });
    expect(staging).toMatchObject({
      allowedRoutes: ["support-summary", "support-summary-lite", "ticket-triage"],
      rpm: 60,
      tpm: 20000,
      expiresAt: new Date("2030-01-01T00:00:00Z"),
    });
    const prod = await prisma.apiKey.findFirstOrThrow({
      where: { tenant: { slug }, app: { slug: "support-bot" }, environment: { name: "production" } },
      include: { budgets: true },
    });
    expect(prod.budgets).toEqual([
      expect.objectContaining({ scope: "key", period: "day", limitMicros: 25_000_000n, action: "block" }),
    ]);
    const downgrade = await prisma.budget.findFirstOrThrow({
      where: { tenant: { slug }, name: "support-bot-monthly" },
      include: { downgradeRoute: true, app: true },
    });
    expect(downgrade).toMatchObject({ scope: "app", action: "downgrade", limitMicros: 300_000_000n, softThresholdPct: 75 });
    expect(downgrade.downgradeRoute?.name).toBe("support-summary-lite");
    expect(downgrade.app?.slug).toBe("support-bot");
  });

  it("converts prices to exact integer micro-dollars per million tokens", async () => {
    const model = await prisma.model.findFirstOrThrow({
      where: { tenant: { slug }, name: "gpt-4o-mini" },
      include: { prices: true },
    });
    expect(model.prices).toEqual([
      expect.objectContaining({ inputMicrosPerMTok: 150_000n, outputMicrosPerMTok: 600_000n, cachedInputMicrosPerMTok: 75_000n }),
    ]);
  });

  it("encrypts provider credentials at rest", async () => {
    const p = await prisma.providerAccount.findFirstOrThrow({ where: { tenant: { slug }, name: "mock-openai" } });
    expect(p.credentialsCiphertext).toMatch(/^v1:/);
    expect(p.credentialsCiphertext).not.toContain("mock-key");
    expect(decryptSecret(p.credentialsCiphertext!)).toBe("mock-key");
    expect(p.baseUrl).toBe("http://127.0.0.1:4010/openai/v1");
  });

  it("writes route versions the shared route spec reads back", async () => {
    const route = await prisma.route.findFirstOrThrow({
      where: { tenant: { slug }, name: "ticket-triage" },
      include: { versions: true },
    });
    expect(route.currentVersion).toBe(1);
    const v = route.versions[0]!;
    const { id: _id, routeId: _r, version: _v, note: _n, createdBy: _c, createdAt: _a, ...columns } = v;
    const spec = routeVersionSpecSchema.parse(columns);
    expect(spec).toMatchObject({ riskLevel: "medium", retryLimit: 1, totalTimeoutMs: 20000, maxOutputTokens: 512 });
    expect(spec.validator).toMatchObject({ required: ["queue", "priority"] });
    expect(spec.upgradeRules).toEqual([
      { when: { userTier: "paid" }, targets: [{ model: "gpt-4o" }, { model: "claude-3-5-sonnet" }] },
    ]);
  });

  it("records the apply in the audit log with the CLI as actor", async () => {
    const entries = await prisma.auditLog.findMany({ where: { tenant: { slug }, action: "config.apply" } });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actorType: "cli", actorName: os.userInfo().username });
    expect(JSON.stringify(entries[0]!.after)).toContain("ticket-triage");
  });

  it("announces the change on Redis for the tenant", async () => {
    const change = await listener.next(result.tenants[0]!.id);
    expect(change).toMatchObject({ tenantId: result.tenants[0]!.id, reason: "apply" });
  });
});

describe("re-applying", () => {
  it("changes nothing and creates no second key", async () => {
    const slug = uniqueSlug();
    const first = await applyConfig(prisma, redis, exampleText(slug), { env: applyEnv });
    const before = await tenantRowCounts(prisma, slug);
    const second = await applyConfig(prisma, redis, exampleText(slug), { env: applyEnv });
    expect(second.changes).toEqual([]);
    expect(await tenantRowCounts(prisma, slug)).toEqual(before);
    expect(second.keys.map((k) => [k.app, k.env, k.name, k.prefix, k.created, k.secret])).toEqual(
      first.keys.map((k) => [k.app, k.env, k.name, k.prefix, false, undefined]),
    );
  });
});

describe("applying an edit", () => {
  it("gives a changed route a new version and a changed price a new price row, touching nothing else", async () => {
    const slug = uniqueSlug();
    const config = exampleConfig(slug);
    await applyConfig(prisma, redis, config, { env: applyEnv });
    const before = await tenantRowCounts(prisma, slug);

    const triage = config.tenants[0].routes.find((r: { name: string }) => r.name === "ticket-triage");
    triage.retry_limit = 2;
    config.tenants[0].models[0].price.input = 0.2;
    const edit = await applyConfig(prisma, redis, config, { env: applyEnv });

    expect(edit.changes.map((c) => `${c.kind}:${c.name}:${c.action}`).sort()).toEqual([
      "price:gpt-4o-mini:created",
      "route:ticket-triage:versioned",
    ]);
    expect(edit.changes.find((c) => c.kind === "route")).toMatchObject({
      before: { version: 1, retryLimit: 1 },
      after: { version: 2, retryLimit: 2 },
    });
    const route = await prisma.route.findFirstOrThrow({
      where: { tenant: { slug }, name: "ticket-triage" },
      include: { versions: { orderBy: { version: "asc" } } },
    });
    expect(route.currentVersion).toBe(2);
    expect(route.versions.map((v) => [v.version, v.retryLimit])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const prices = await prisma.modelPrice.findMany({
      where: { model: { tenant: { slug }, name: "gpt-4o-mini" } },
      orderBy: { effectiveFrom: "asc" },
    });
    expect(prices.map((p) => p.inputMicrosPerMTok)).toEqual([150_000n, 200_000n]);
    expect(await tenantRowCounts(prisma, slug)).toMatchObject({
      ...before,
      updatedAt: expect.any(String),
      routeVersions: before.routeVersions! + 1,
      prices: before.prices! + 1,
    });

    const again = await applyConfig(prisma, redis, config, { env: applyEnv });
    expect(again.changes).toEqual([]);
  });
});

describe("a wrong file", () => {
  function brokenConfig(slug: string) {
    const config = exampleConfig(slug);
    const t = config.tenants[0];
    t.routes[2].risk = "extreme";
    t.routes[0].targets.push({ model: "gpt-9" });
    t.models[2].provider = "mock-cohere";
    t.providers[0].api_key_env = "H2_SURELY_UNSET_VARIABLE";
    delete t.providers[0].api_key;
    t.apps[0].environments[0].keys[0].allowed_routes.push("no-such-route");
    t.budgets[1].downgrade_route = "missing-route";
    t.routes[1].retry_limit = "twice";
    t.rate_limits.push({ scope: "app", rpm: 10 });
    return config;
  }
  const expected = [
    "tenants[0].routes[2].risk: expected low|medium|high",
    'tenants[0].routes[0].targets[3].model: unknown model "gpt-9" (declare it under models)',
    'tenants[0].models[2].provider: unknown provider "mock-cohere" (declare it under providers)',
    "tenants[0].providers[0].api_key_env: environment variable H2_SURELY_UNSET_VARIABLE is not set",
    'tenants[0].apps[0].environments[0].keys[0].allowed_routes[4]: unknown route "no-such-route" (declare it under routes)',
    'tenants[0].budgets[1].downgrade_route: unknown route "missing-route" (declare it under routes)',
    "tenants[0].routes[1].retry_limit: Invalid input: expected number, received string",
    "tenants[0].rate_limits[4].app: required for scope app",
  ];

  it("is rejected as a whole with every error listed by its path", () => {
    const parsed = parseConfigFile(brokenConfig(uniqueSlug()), applyEnv);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect([...parsed.errors].sort()).toEqual([...expected].sort());
  });

  it("writes nothing to a new tenant", async () => {
    const slug = uniqueSlug();
    const err = await applyConfig(prisma, redis, brokenConfig(slug), { env: applyEnv }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigValidationError);
    expect((err as ConfigValidationError).errors).toHaveLength(expected.length);
    expect(await tenantRowCounts(prisma, slug)).toEqual({ tenants: 0 });
  });

  it("leaves an existing tenant untouched, valid parts of the file included", async () => {
    const slug = uniqueSlug();
    await applyConfig(prisma, redis, exampleConfig(slug), { env: applyEnv });
    const before = await tenantRowCounts(prisma, slug);
    const audits = await prisma.auditLog.count({ where: { tenant: { slug } } });
    const config = brokenConfig(slug);
    config.tenants[0].name = "Renamed";
    config.tenants[0].routes[3].retry_limit = 3;
    await expect(applyConfig(prisma, redis, config, { env: applyEnv })).rejects.toBeInstanceOf(ConfigValidationError);
    expect(await tenantRowCounts(prisma, slug)).toEqual(before);
    expect(await prisma.auditLog.count({ where: { tenant: { slug } } })).toBe(audits);
    expect((await prisma.tenant.findUniqueOrThrow({ where: { slug } })).name).toBe("Demo Inc.");
  });

  it("refuses provider URLs on private networks unless allowed", () => {
    const parsed = parseConfigFile(exampleConfig(), { ...process.env, GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "" });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([0, 1, 2].map((i) => expect.stringMatching(new RegExp(`^tenants\\[0\\]\\.providers\\[${i}\\]\\.base_url: points at a loopback address`))));
  });
});

describe("export", () => {
  it("writes YAML that apply accepts with no change, without secrets", async () => {
    const slug = uniqueSlug();
    const applied = await applyConfig(prisma, redis, exampleText(slug), { env: applyEnv });
    const ciphertexts = (await prisma.providerAccount.findMany({ where: { tenant: { slug } } })).map(
      (p) => p.credentialsCiphertext!,
    );
    const yaml = await exportConfig(prisma, { tenant: slug });

    for (const k of applied.keys) expect(yaml).not.toContain(k.secret!);
    for (const c of ciphertexts) expect(yaml).not.toContain(c);
    expect(yaml).not.toContain("mock-key");
    expect(yaml).not.toMatch(/v1:[A-Za-z0-9+/=]+:/);

    const before = await tenantRowCounts(prisma, slug);
    const reapplied = await applyConfig(prisma, redis, yaml, { env: applyEnv });
    expect(reapplied.changes).toEqual([]);
    expect(reapplied.keys.every((k) => !k.created && k.secret === undefined)).toBe(true);
    expect(await tenantRowCounts(prisma, slug)).toEqual(before);
    // The credential the export could not carry is kept.
    const p = await prisma.providerAccount.findFirstOrThrow({ where: { tenant: { slug }, name: "mock-openai" } });
    expect(decryptSecret(p.credentialsCiphertext!)).toBe("mock-key");
    // And a second export is the same document.
    expect(await exportConfig(prisma, { tenant: slug })).toBe(yaml);
  });

  it("exports api_key_env names, never their values, and re-reads them on apply", async () => {
    const slug = uniqueSlug();
    const config = exampleConfig(slug);
    delete config.tenants[0].providers[0].api_key;
    config.tenants[0].providers[0].api_key_env = "H2_TEST_PROVIDER_KEY";
    const env = { ...applyEnv, H2_TEST_PROVIDER_KEY: "sk-from-env-123" };
    await applyConfig(prisma, redis, config, { env });
    const yaml = await exportConfig(prisma, { tenant: slug });
    expect(yaml).toContain("api_key_env: H2_TEST_PROVIDER_KEY");
    expect(yaml).not.toContain("sk-from-env-123");
    expect((await applyConfig(prisma, redis, yaml, { env })).changes).toEqual([]);

    const rotated = await applyConfig(prisma, redis, yaml, { env: { ...env, H2_TEST_PROVIDER_KEY: "sk-rotated-456" } });
    expect(rotated.changes).toEqual([
      expect.objectContaining({ kind: "provider", name: "mock-openai", action: "updated", after: { credential: "changed" } }),
    ]);
    expect(JSON.stringify(rotated.changes)).not.toContain("sk-rotated-456");
    const p = await prisma.providerAccount.findFirstOrThrow({ where: { tenant: { slug }, name: "mock-openai" } });
    expect(p.credentialsEnv).toBe("H2_TEST_PROVIDER_KEY");
    expect(decryptSecret(p.credentialsCiphertext!)).toBe("sk-rotated-456");
  });
});

describe("dry run", () => {
  it("reports what would change, hands out no secret and writes nothing", async () => {
    const slug = uniqueSlug();
    const listener = await configListener();
    const r = await applyConfig(prisma, redis, exampleText(slug), { env: applyEnv, dryRun: true });
    listener.close();
    expect(r.dryRun).toBe(true);
    expect(r.changes.filter((c) => c.kind === "route").map((c) => c.name).sort()).toEqual([
      "refund-decision",
      "support-summary",
      "support-summary-lite",
      "ticket-triage",
    ]);
    expect(r.keys).toHaveLength(4);
    expect(r.keys.every((k) => k.created && k.secret === undefined)).toBe(true);
    expect(await tenantRowCounts(prisma, slug)).toEqual({ tenants: 0 });
  });
});

describe("--prune", () => {
  it("without it, what the file drops stays; with it, keys are revoked and the rest deleted", async () => {
    const slug = uniqueSlug();
    await applyConfig(prisma, redis, exampleConfig(slug), { env: applyEnv });
    const trimmed = exampleConfig(slug);
    const t = trimmed.tenants[0];
    t.apps = t.apps.filter((a: { slug: string }) => a.slug !== "analytics");
    t.rate_limits = t.rate_limits.filter((l: { scope: string }) => l.scope !== "app" && l.scope !== "model");
    t.budgets = t.budgets.filter((b: { name: string }) => b.name !== "refund-decision-weekly");
    t.apps[0].environments[1].keys = [];
    t.alert_rules = [];

    const additive = await applyConfig(prisma, redis, trimmed, { env: applyEnv });
    expect(additive.changes).toEqual([]);

    const pruned = await applyConfig(prisma, redis, trimmed, { env: applyEnv, prune: true });
    expect(pruned.changes.map((c) => `${c.kind}:${c.action}:${c.name}`).sort()).toEqual(
      [
        "alert_rule:deleted:demo-spend-spike",
        "alert_rule:deleted:support-summary-errors",
        "app:deleted:analytics",
        "budget:deleted:refund-decision-weekly",
        "key:revoked:support-bot/staging/default",
        // The analytics rate limit goes with its app; it is reported before the app is deleted.
        'rate_limit:deleted:["app","analytics",null,null,null]',
        'rate_limit:deleted:["model",null,null,null,"gpt-4o"]',
      ].sort(),
    );
    const staging = await prisma.apiKey.findFirstOrThrow({
      where: { tenant: { slug }, app: { slug: "support-bot" }, environment: { name: "staging" }, name: "default" },
    });
    expect(staging.revokedAt).not.toBeNull();
    expect(await prisma.app.count({ where: { tenant: { slug } } })).toBe(1);
    expect((await applyConfig(prisma, redis, trimmed, { env: applyEnv, prune: true })).changes).toEqual([]);
  });
});

describe("when Redis cannot be reached", () => {
  it("keeps the committed apply and its new secrets, and reports the failed announcement", async () => {
    const slug = uniqueSlug();
    const down = {
      publish: () => Promise.reject(new Error("connect ECONNREFUSED")),
    };
    const r = await applyConfig(prisma, down, exampleText(slug), { env: applyEnv });
    expect(r.publishError).toBe("connect ECONNREFUSED");
    expect(r.keys.every((k) => k.secret?.startsWith("gw_"))).toBe(true);
    expect(await tenantRowCounts(prisma, slug)).toMatchObject({ tenants: 1, keys: 4 });
  });
});
