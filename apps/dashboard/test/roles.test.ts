// Each role can do exactly what its scopes say: every operation below is tried by every role, and must
// succeed where can(role, scope) is true and be FORBIDDEN where it is false. Every successful change must
// leave an audit row by that user.
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { can, ROLES, type Scope } from "@gateway/policy/scopes";
import { callerFor, db, makeTenant, type TenantFixture } from "./fixtures.ts";

let f: TenantFixture;

beforeAll(async () => {
  f = await makeTenant("roles");
});

afterAll(async () => {
  await db.$disconnect();
});

type Caller = ReturnType<typeof callerFor>;
interface Op {
  name: string;
  scope: Scope;
  audited: boolean;
  run: (c: Caller, tenantId: string) => Promise<unknown>;
}

const range = () => ({ from: new Date(Date.now() - 86_400_000), to: new Date() });
const uid = () => randomUUID().slice(0, 8);

const OPS: Op[] = [
  { name: "tenant.get", scope: "tenant:read", audited: false, run: (c, tenantId) => c.tenant.get({ tenantId }) },
  {
    name: "tenant.update",
    scope: "tenant:update",
    audited: true,
    run: (c, tenantId) =>
      c.tenant.update({
        tenantId,
        name: "Renamed",
        timeZone: "UTC",
        logBodies: true,
        retentionDays: 90,
        bodyRetentionDays: 7,
        budgetFailMode: "closed",
        rateLimitFailMode: "open",
      }),
  },
  { name: "members.list", scope: "members:read", audited: false, run: (c, tenantId) => c.members.list({ tenantId }) },
  {
    name: "members.invite",
    scope: "members:manage",
    audited: true,
    run: (c, tenantId) => c.members.invite({ tenantId, email: `inv-${uid()}@example.test`, role: "viewer" }),
  },
  { name: "apps.list", scope: "apps:read", audited: false, run: (c, tenantId) => c.apps.list({ tenantId }) },
  {
    name: "apps.create",
    scope: "apps:write",
    audited: true,
    run: (c, tenantId) => c.apps.create({ tenantId, name: "New", slug: `app-${uid()}`, environments: ["production"] }),
  },
  { name: "keys.list", scope: "keys:read", audited: false, run: (c, tenantId) => c.keys.list({ tenantId }) },
  {
    name: "keys.create",
    scope: "keys:write",
    audited: true,
    run: (c, tenantId) =>
      c.keys.create({ tenantId, name: `k-${uid()}`, appId: f.app.id, environmentId: f.env.id, budgetDollars: 5 }),
  },
  {
    name: "keys.revoke",
    scope: "keys:write",
    audited: true,
    run: async (c, tenantId) => {
      const k = await db.apiKey.create({
        data: {
          tenantId,
          appId: f.app.id,
          environmentId: f.env.id,
          name: `r-${uid()}`,
          prefix: "gw_revoke",
          hash: randomUUID(),
        },
      });
      return c.keys.revoke({ tenantId, id: k.id });
    },
  },
  {
    name: "providers.list",
    scope: "providers:read",
    audited: false,
    run: (c, tenantId) => c.providers.list({ tenantId }),
  },
  {
    name: "providers.upsert",
    scope: "providers:write",
    audited: true,
    run: (c, tenantId) =>
      c.providers.upsert({
        tenantId,
        name: `p-${uid()}`,
        kind: "openai",
        baseUrl: null,
        authStyle: "bearer",
        apiVersion: null,
        credential: "sk-test-credential",
      }),
  },
  { name: "models.list", scope: "models:read", audited: false, run: (c, tenantId) => c.models.list({ tenantId }) },
  {
    name: "models.addPrice",
    scope: "models:write",
    audited: true,
    run: (c, tenantId) =>
      c.models.addPrice({
        tenantId,
        modelId: f.models[0]!.id,
        effectiveFrom: new Date(Date.now() + Math.floor(Math.random() * 1e9)),
        inputPerMTok: 0.2,
        outputPerMTok: 0.8,
        cachedInputPerMTok: 0,
      }),
  },
  { name: "routes.list", scope: "routes:read", audited: false, run: (c, tenantId) => c.routes.list({ tenantId }) },
  {
    name: "routes.saveVersion",
    scope: "routes:write",
    audited: true,
    run: async (c, tenantId) => {
      const r = await db.route.findUniqueOrThrow({ where: { id: f.route.id } });
      return c.routes.saveVersion({
        tenantId,
        routeId: r.id,
        baseVersion: r.currentVersion,
        spec: {
          riskLevel: "medium",
          targets: [{ model: "fast" }],
          upgradeRules: [],
          retryLimit: 1,
          totalTimeoutMs: 60000,
          ttftTimeoutMs: 15000,
          maxInputTokens: null,
          maxOutputTokens: 500,
          validator: null,
          cacheTtlSeconds: 0,
          semanticCache: null,
          guardrails: null,
        },
      });
    },
  },
  { name: "budgets.list", scope: "budgets:read", audited: false, run: (c, tenantId) => c.budgets.list({ tenantId }) },
  {
    name: "budgets.create",
    scope: "budgets:write",
    audited: true,
    run: (c, tenantId) =>
      c.budgets.create({
        tenantId,
        name: `b-${uid()}`,
        scope: "tenant",
        appId: null,
        apiKeyId: null,
        routeId: null,
        period: "month",
        limitDollars: 100,
        softThresholdPct: 80,
        action: "block",
        downgradeRouteId: null,
      }),
  },
  {
    name: "budgets.rateLimits",
    scope: "limits:read",
    audited: false,
    run: (c, tenantId) => c.budgets.rateLimits({ tenantId }),
  },
  {
    name: "budgets.createRateLimit",
    scope: "limits:write",
    audited: true,
    run: (c, tenantId) =>
      c.budgets.createRateLimit({
        tenantId,
        scope: "tenant",
        appId: null,
        apiKeyId: null,
        routeId: null,
        modelName: null,
        rpm: 100,
        tpm: null,
      }),
  },
  { name: "logs.list", scope: "logs:read", audited: false, run: (c, tenantId) => c.logs.list({ tenantId }) },
  {
    name: "costs.overTime",
    scope: "costs:read",
    audited: false,
    run: (c, tenantId) => c.costs.overTime({ tenantId, ...range() }),
  },
  {
    name: "costs.perSuccess",
    scope: "costs:read",
    audited: false,
    run: (c, tenantId) => c.costs.perSuccess({ tenantId, ...range() }),
  },
  { name: "costs.burnDown", scope: "costs:read", audited: false, run: (c, tenantId) => c.costs.burnDown({ tenantId }) },
  {
    name: "costs.exportCsv",
    scope: "costs:export",
    audited: false,
    run: (c, tenantId) => c.costs.exportCsv({ tenantId, ...range() }),
  },
  { name: "reviews.list", scope: "reviews:read", audited: false, run: (c, tenantId) => c.reviews.list({ tenantId }) },
  {
    name: "reviews.resolve",
    scope: "reviews:write",
    audited: true,
    run: async (c, tenantId) => {
      const item = await db.reviewItem.create({
        data: {
          tenantId,
          requestId: `req_${uid()}`,
          routeName: "support-summary",
          routeVersion: 1,
          errorCode: "upstream_timeout",
          reason: "primary timed out",
        },
      });
      return c.reviews.resolve({ tenantId, id: item.id, note: "answered by hand" });
    },
  },
  { name: "alerts.rules", scope: "alerts:read", audited: false, run: (c, tenantId) => c.alerts.rules({ tenantId }) },
  {
    name: "alerts.createRule",
    scope: "alerts:write",
    audited: true,
    run: (c, tenantId) =>
      c.alerts.createRule({
        tenantId,
        name: `a-${uid()}`,
        kind: "error_rate",
        threshold: 0.05,
        windowMinutes: 15,
        webhookUrl: null,
        webhookSecret: "",
        enabled: true,
      }),
  },
  { name: "audit.list", scope: "audit:read", audited: false, run: (c, tenantId) => c.audit.list({ tenantId }) },
  {
    name: "simulator.run",
    scope: "simulator:use",
    audited: false,
    run: (c, tenantId) =>
      c.simulator.run({
        tenantId,
        apiKeyId: f.key.id,
        request: JSON.stringify({ model: "support-summary", messages: [{ role: "user", content: "hi" }] }),
      }),
  },
];

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

describe("role × scope matrix", () => {
  for (const role of ROLES) {
    it(`${role} can do exactly what its scopes allow`, async () => {
      const user = f.users[role];
      const caller = callerFor(user.id);
      const got: Record<string, string> = {};
      const want: Record<string, string> = {};
      for (const op of OPS) {
        const before = await db.auditLog.count({ where: { tenantId: f.tenant.id, actorId: user.id } });
        got[op.name] = await outcome(op.run(caller, f.tenant.id));
        want[op.name] = can(role, op.scope) ? "OK" : "FORBIDDEN";
        const after = await db.auditLog.count({ where: { tenantId: f.tenant.id, actorId: user.id } });
        const expectedDelta = op.audited && got[op.name] === "OK" ? 1 : 0;
        expect(after - before, `${role} ${op.name}: audit rows written`).toBe(expectedDelta);
      }
      expect(got).toEqual(want);
    });
  }

  it("finance reads costs but cannot see or manage keys; viewer changes nothing", () => {
    expect(can("finance", "costs:read") && can("finance", "costs:export")).toBe(true);
    expect(can("finance", "keys:read") || can("finance", "keys:write")).toBe(false);
    const mutating = OPS.filter((o) => o.audited);
    expect(mutating.filter((o) => can("viewer", o.scope))).toEqual([]);
  });
});
