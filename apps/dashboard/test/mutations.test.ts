// What mutations leave behind: audit rows with before/after and no secrets, a config-change announcement
// for the proxies, versioned routes with restore, write-only credentials — and a simulator that follows
// the route it simulates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "@gateway/db/secrets";
import { callerFor, db, makeTenant, type Announcement, type TenantFixture } from "./fixtures.ts";
import { hashPassword, verifyPassword } from "../src/server/auth/password.ts";
import { signUp } from "../src/server/auth/sign-up.ts";

let f: TenantFixture;

beforeAll(async () => {
  f = await makeTenant("mutations");
});

afterAll(async () => {
  await db.$disconnect();
});

const spec = (riskLevel: "low" | "medium" | "high") => ({
  riskLevel,
  targets: [{ model: "strong" }, { model: "fast" }],
  upgradeRules: [],
  retryLimit: 2,
  totalTimeoutMs: 30000,
  ttftTimeoutMs: 5000,
  maxInputTokens: null,
  maxOutputTokens: 400,
  validator: null,
  cacheTtlSeconds: 0,
  semanticCache: null,
  guardrails: null,
});

describe("keys", () => {
  it("shows the secret once, stores only its keyed hash, audits without secrets and tells the proxies", async () => {
    const announced: Announcement[] = [];
    const c = callerFor(f.users.platform.id, announced);
    const created = await c.keys.create({
      tenantId: f.tenant.id,
      name: "billing prod",
      appId: f.app.id,
      environmentId: f.env.id,
      rpm: 60,
      budgetDollars: 12.5,
      budgetPeriod: "day",
    });
    expect(created.secret.startsWith("gw_")).toBe(true);
    const row = await db.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.hash).toBe(hashApiKey(created.secret));
    expect(row.prefix).toBe(created.secret.slice(0, 11));
    const budget = await db.budget.findFirstOrThrow({ where: { apiKeyId: row.id } });
    expect(budget.limitMicros).toBe(12_500_000n);
    expect(announced).toEqual([{ tenantId: f.tenant.id, reason: "key.create" }]);

    const listed = await c.keys.list({ tenantId: f.tenant.id, q: row.prefix });
    expect(JSON.stringify(listed, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(
      created.secret,
    );
    expect(listed.rows[0]).not.toHaveProperty("hash");

    const audit = await db.auditLog.findFirstOrThrow({
      where: { tenantId: f.tenant.id, action: "key.create", resourceId: row.id },
    });
    expect(audit.actorId).toBe(f.users.platform.id);
    const text = JSON.stringify(audit);
    expect(text).not.toContain(created.secret);
    expect(text).not.toContain(row.hash);
  });

  it("refuses a scope naming routes or models the tenant does not have, and creates nothing", async () => {
    const c = callerFor(f.users.platform.id);
    await expect(
      c.keys.create({
        tenantId: f.tenant.id,
        name: "bad scope",
        appId: f.app.id,
        environmentId: f.env.id,
        allowedRoutes: ["support-summary", "ghost"],
        allowedModels: ["fast", "phantom"],
      }),
    ).rejects.toThrow("unknown route ghost, model phantom");
    expect(await db.apiKey.count({ where: { tenantId: f.tenant.id, name: "bad scope" } })).toBe(0);
  });

  it("rotates: a new secret with the same scope, the old key revoked and its budget moved", async () => {
    const c = callerFor(f.users.admin.id);
    const first = await c.keys.create({
      tenantId: f.tenant.id,
      name: "rotating",
      appId: f.app.id,
      environmentId: f.env.id,
      allowedRoutes: ["support-summary"],
      budgetDollars: 3,
    });
    const second = await c.keys.rotate({ tenantId: f.tenant.id, id: first.id });
    expect(second.secret).not.toBe(first.secret);
    const [old, fresh] = await Promise.all([
      db.apiKey.findUniqueOrThrow({ where: { id: first.id } }),
      db.apiKey.findUniqueOrThrow({ where: { id: second.id } }),
    ]);
    expect(old.revokedAt).not.toBeNull();
    expect(fresh.revokedAt).toBeNull();
    expect(fresh.allowedRoutes).toEqual(["support-summary"]);
    expect(await db.budget.count({ where: { apiKeyId: fresh.id } })).toBe(1);
    const audit = await db.auditLog.findFirstOrThrow({ where: { action: "key.rotate", resourceId: fresh.id } });
    expect((audit.before as { revokedAt: string | null }).revokedAt).not.toBeNull();
    await expect(c.keys.rotate({ tenantId: f.tenant.id, id: first.id })).rejects.toThrow(/revoked/);
  });
});

describe("routes", () => {
  it("saves versions, refuses a stale base, restores by copying and records before/after", async () => {
    const c = callerFor(f.users.product.id);
    const route = await db.route.create({
      data: {
        tenantId: f.tenant.id,
        name: "history-route",
        versions: { create: { version: 1, riskLevel: "low", targets: [{ model: "fast" }] } },
      },
    });
    const v2 = await c.routes.saveVersion({
      tenantId: f.tenant.id,
      routeId: route.id,
      baseVersion: 1,
      spec: spec("high"),
      note: "stop on failure",
    });
    expect(v2.version).toBe(2);
    await expect(
      c.routes.saveVersion({ tenantId: f.tenant.id, routeId: route.id, baseVersion: 1, spec: spec("medium") }),
    ).rejects.toThrow(/version 2/);
    const restored = await c.routes.restore({ tenantId: f.tenant.id, routeId: route.id, version: 1 });
    expect(restored.version).toBe(3);
    const got = await c.routes.get({ tenantId: f.tenant.id, routeId: route.id });
    expect(got.currentVersion).toBe(3);
    expect(got.versions.map((v) => [v.version, v.spec.riskLevel])).toEqual([
      [3, "low"],
      [2, "high"],
      [1, "low"],
    ]);
    expect(got.versions[0]!.spec.targets).toEqual([{ model: "fast" }]);
    const audit = await db.auditLog.findFirstOrThrow({ where: { action: "route.update", resourceId: route.id } });
    expect(audit.before).toMatchObject({ version: 1, spec: { riskLevel: "low" } });
    expect(audit.after).toMatchObject({ version: 2, spec: { riskLevel: "high" } });
  });

  it("refuses a spec naming a model the tenant does not have, and writes nothing", async () => {
    const c = callerFor(f.users.product.id);
    const bad = { ...spec("low"), targets: [{ model: "nope" }] };
    await expect(c.routes.create({ tenantId: f.tenant.id, name: "bad-route", spec: bad })).rejects.toThrow(
      /unknown model: nope/,
    );
    expect(await db.route.count({ where: { tenantId: f.tenant.id, name: "bad-route" } })).toBe(0);
  });

  it("the simulator follows the route: risk level, targets in order, estimated cost", async () => {
    const c = callerFor(f.users.product.id);
    const request = JSON.stringify({
      model: "support-summary",
      messages: [{ role: "user", content: "x".repeat(400) }],
    });
    const before = await c.simulator.run({ tenantId: f.tenant.id, apiKeyId: f.key.id, request });
    const current = await db.route.findUniqueOrThrow({ where: { id: f.route.id } });
    await c.routes.saveVersion({
      tenantId: f.tenant.id,
      routeId: f.route.id,
      baseVersion: current.currentVersion,
      spec: spec("high"),
    });
    const after = await c.simulator.run({ tenantId: f.tenant.id, apiKeyId: f.key.id, request });
    expect("riskLevel" in before && before.riskLevel).toBe("low");
    expect("riskLevel" in after && after.riskLevel).toBe("high");
    if (!("targets" in after) || !after.targets) throw new Error("expected targets");
    expect(after.targets.map((t) => t.model)).toEqual(["strong", "fast"]);
    // 100 input tokens (400 chars / 4) and 400 output tokens at strong's price, rounded up.
    expect(after.estimatedCostMicros).toBe(BigInt(Math.ceil((100 * 2_500_000 + 400 * 10_000_000) / 1_000_000)));
    expect(after.decision.kind).toBe("allowed");
  });

  it("the simulator refuses a request that would overspend a block budget, using spend from the rollups", async () => {
    const key = await db.apiKey.create({
      data: {
        tenantId: f.tenant.id,
        appId: f.app.id,
        environmentId: f.env.id,
        name: "tight",
        prefix: "gw_tight",
        hash: `t-${Date.now()}`,
      },
    });
    await db.budget.create({
      data: {
        tenantId: f.tenant.id,
        name: "tight-daily",
        scope: "key",
        apiKeyId: key.id,
        period: "day",
        limitMicros: 10_000n,
        action: "block",
      },
    });
    const c = callerFor(f.users.owner.id);
    const request = JSON.stringify({ model: "support-summary", messages: [{ role: "user", content: "hello" }] });
    expect((await c.simulator.run({ tenantId: f.tenant.id, apiKeyId: key.id, request })).decision.kind).toBe("allowed");
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    await db.rollupHourly.create({
      data: {
        bucketStart: hour,
        tenantId: f.tenant.id,
        apiKeyId: key.id,
        routeName: "support-summary",
        model: "fast",
        requests: 3,
        successes: 3,
        costMicros: 9_990n,
      },
    });
    const r = await c.simulator.run({ tenantId: f.tenant.id, apiKeyId: key.id, request });
    expect(r.decision).toMatchObject({ kind: "rejected", status: 429, code: "budget_exceeded" });
    expect("budgets" in r && r.budgets?.find((b) => b.name === "tight-daily")?.spentMicros).toBe(9_990n);
  });

  it("the simulator refuses what the proxy would: a route outside the key's scope", async () => {
    const key = await db.apiKey.create({
      data: {
        tenantId: f.tenant.id,
        appId: f.app.id,
        environmentId: f.env.id,
        name: "scoped",
        prefix: "gw_scoped",
        hash: `h-${Date.now()}`,
        allowedRoutes: ["other"],
      },
    });
    const r = await callerFor(f.users.owner.id).simulator.run({
      tenantId: f.tenant.id,
      apiKeyId: key.id,
      request: '{"model":"support-summary"}',
    });
    expect(r.decision).toMatchObject({ kind: "rejected", status: 403, code: "model_not_allowed" });
  });
});

describe("secrets stay write-only", () => {
  it("provider credentials are encrypted and never returned", async () => {
    const c = callerFor(f.users.platform.id);
    await c.providers.upsert({
      tenantId: f.tenant.id,
      name: "openai-main",
      kind: "openai",
      baseUrl: null,
      authStyle: "bearer",
      apiVersion: null,
      credential: "sk-very-secret",
    });
    const row = await db.providerAccount.findFirstOrThrow({ where: { tenantId: f.tenant.id, name: "openai-main" } });
    expect(row.credentialsCiphertext?.startsWith("v1:")).toBe(true);
    const listed = JSON.stringify(await c.providers.list({ tenantId: f.tenant.id }));
    expect(listed).not.toContain("sk-very-secret");
    expect(listed).not.toContain(row.credentialsCiphertext!);
    const audits = JSON.stringify(
      await db.auditLog.findMany({ where: { tenantId: f.tenant.id, resourceType: "provider_account" } }),
    );
    expect(audits).not.toContain("sk-very-secret");
    expect(audits).not.toContain(row.credentialsCiphertext!);
  });

  it("request bodies only for roles with logs:read_bodies", async () => {
    const log = await db.requestLog.findFirstOrThrow({ where: { tenantId: f.tenant.id } });
    const product = await callerFor(f.users.product.id).logs.get({ tenantId: f.tenant.id, id: log.id });
    expect(JSON.stringify(product.requestBody)).toContain("secret-prompt");
    const viewer = await callerFor(f.users.viewer.id).logs.get({ tenantId: f.tenant.id, id: log.id });
    expect(viewer.requestBody).toBeNull();
    expect(viewer.bodiesHidden).toBe(true);
  });
});

describe("people", () => {
  it("passwords are scrypt hashes that verify only the right password", async () => {
    const h = await hashPassword("correct horse battery");
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword("correct horse battery", h)).toBe(true);
    expect(await verifyPassword("wrong", h)).toBe(false);
  });

  it("an invitation token joins its tenant with its role once; later users cannot self-create tenants", async () => {
    const c = callerFor(f.users.owner.id);
    const email = `joiner-${Date.now()}@example.test`;
    const { token } = await c.members.invite({ tenantId: f.tenant.id, email, role: "finance" });
    const stored = await db.invitation.findFirstOrThrow({ where: { tenantId: f.tenant.id, email } });
    expect(stored.tokenHash).not.toBe(token);
    const joined = await signUp(db, { name: "Joiner", email, password: "long-enough-password", inviteToken: token });
    expect(joined).toMatchObject({ ok: true, tenantSlug: f.tenant.slug });
    const m = await db.membership.findFirstOrThrow({ where: { tenantId: f.tenant.id, user: { email } } });
    expect(m.role).toBe("finance");
    expect(
      await signUp(db, { name: "Again", email, password: "long-enough-password", inviteToken: token }),
    ).toMatchObject({ ok: false, field: "inviteToken" });
    // The database already has users, so a sign-up without an invitation creates nothing.
    const before = await db.tenant.count();
    expect(
      await signUp(db, {
        name: "Stranger",
        email: `s-${Date.now()}@example.test`,
        password: "long-enough-password",
        tenantName: "Mine",
      }),
    ).toMatchObject({ ok: false });
    expect(await db.tenant.count()).toBe(before);
  });

  it("only an owner makes or unmakes owners, and the last owner stays", async () => {
    const admin = callerFor(f.users.admin.id);
    const { members } = await admin.members.list({ tenantId: f.tenant.id });
    const ownerMembership = members.find((m) => m.userId === f.users.owner.id)!;
    await expect(
      admin.members.changeRole({ tenantId: f.tenant.id, membershipId: ownerMembership.id, role: "viewer" }),
    ).rejects.toThrow(/only an owner/);
    const owner = callerFor(f.users.owner.id);
    await expect(
      owner.members.changeRole({ tenantId: f.tenant.id, membershipId: ownerMembership.id, role: "viewer" }),
    ).rejects.toThrow(/at least one owner/);
  });
});
