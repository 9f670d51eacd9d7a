// Nothing of one tenant is reachable from another: every attempt below names the other tenant's id or the
// other tenant's rows, and must be refused (FORBIDDEN for a tenant you are not in, NOT_FOUND for a row that
// is not in your tenant) — and must leave the other tenant's data untouched.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, db, makeTenant, type TenantFixture } from "./fixtures.ts";

let a: TenantFixture;
let b: TenantFixture;

beforeAll(async () => {
  [a, b] = await Promise.all([makeTenant("tenancy-a"), makeTenant("tenancy-b")]);
});

afterAll(async () => {
  await db.$disconnect();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
  return "OK";
}

describe("tenant isolation", () => {
  it("refuses every read that names a tenant the caller is not a member of", async () => {
    const owner = callerFor(a.users.owner.id);
    const t = { tenantId: b.tenant.id };
    expect(await codeOf(owner.keys.list(t))).toBe("FORBIDDEN");
    expect(await codeOf(owner.routes.list(t))).toBe("FORBIDDEN");
    expect(await codeOf(owner.routes.get({ ...t, routeId: b.route.id }))).toBe("FORBIDDEN");
    expect(await codeOf(owner.logs.list(t))).toBe("FORBIDDEN");
    expect(await codeOf(owner.members.list(t))).toBe("FORBIDDEN");
    expect(await codeOf(owner.costs.exportCsv({ ...t, from: new Date(0), to: new Date() }))).toBe("FORBIDDEN");
    expect(await codeOf(owner.audit.list(t))).toBe("FORBIDDEN");
  });

  it("refuses mutations on the other tenant, whether by its id or by its rows' ids", async () => {
    const owner = callerFor(a.users.owner.id);
    expect(await codeOf(owner.keys.revoke({ tenantId: b.tenant.id, id: b.key.id }))).toBe("FORBIDDEN");
    // Own tenant id, other tenant's row: the row is simply not found in this tenant.
    expect(await codeOf(owner.keys.revoke({ tenantId: a.tenant.id, id: b.key.id }))).toBe("NOT_FOUND");
    expect(await codeOf(owner.keys.rotate({ tenantId: a.tenant.id, id: b.key.id }))).toBe("NOT_FOUND");
    expect(await codeOf(owner.routes.restore({ tenantId: a.tenant.id, routeId: b.route.id, version: 1 }))).toBe(
      "NOT_FOUND",
    );
    expect(
      await codeOf(
        owner.routes.saveVersion({
          tenantId: a.tenant.id,
          routeId: b.route.id,
          baseVersion: 1,
          spec: { riskLevel: "high", targets: [{ model: "fast" }] } as never,
        }),
      ),
    ).toBe("NOT_FOUND");
    // A key in tenant A cannot be created against tenant B's app and environment.
    expect(
      await codeOf(
        owner.keys.create({ tenantId: a.tenant.id, name: "sneaky", appId: b.app.id, environmentId: b.env.id }),
      ),
    ).toBe("NOT_FOUND");

    const key = await db.apiKey.findUniqueOrThrow({ where: { id: b.key.id } });
    expect(key.revokedAt).toBeNull();
    const route = await db.route.findUniqueOrThrow({ where: { id: b.route.id } });
    expect(route.currentVersion).toBe(1);
  });

  it("never lists, opens or simulates the other tenant's keys and logs", async () => {
    const owner = callerFor(a.users.owner.id);
    const keys = await owner.keys.list({ tenantId: a.tenant.id, status: "all" });
    expect(keys.rows.map((k) => k.id)).not.toContain(b.key.id);
    const logs = await owner.logs.list({ tenantId: a.tenant.id });
    expect(logs.rows.length).toBeGreaterThan(0);
    const bLog = await db.requestLog.findFirstOrThrow({ where: { tenantId: b.tenant.id } });
    expect(logs.rows.map((r) => r.id)).not.toContain(bLog.id);
    expect(await codeOf(owner.logs.get({ tenantId: a.tenant.id, id: bLog.id }))).toBe("NOT_FOUND");
    expect(
      await codeOf(
        owner.simulator.run({ tenantId: a.tenant.id, apiKeyId: b.key.id, request: '{"model":"support-summary"}' }),
      ),
    ).toBe("NOT_FOUND");
    const facets = await owner.logs.facets({ tenantId: a.tenant.id });
    expect(facets.keys.map((k) => k.id)).not.toContain(b.key.id);
  });

  it("cost reports count only the tenant's own rollups", async () => {
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
    const row = (tenantId: string, cost: bigint) => ({
      bucketStart: hour,
      tenantId,
      routeName: "support-summary",
      model: "fast",
      requests: 10,
      successes: 8,
      errors: 2,
      costMicros: cost,
      latencyHist: { "100": 10 },
    });
    await db.rollupHourly.createMany({ data: [row(a.tenant.id, 8_000n), row(b.tenant.id, 999_000n)] });
    const range = {
      tenantId: a.tenant.id,
      from: new Date(hour.getTime() - 3_600_000),
      to: new Date(hour.getTime() + 3_600_000),
    };
    const finance = callerFor(a.users.finance.id);
    const per = await finance.costs.perSuccess(range);
    expect(per).toEqual([
      expect.objectContaining({
        routeName: "support-summary",
        model: "fast",
        costMicros: 8_000n,
        successes: 8,
        perSuccessMicros: 1_000,
      }),
    ]);
    const csv = await finance.costs.exportCsv(range);
    expect(csv).toContain("0.008000");
    expect(csv).not.toContain("0.999");
    const top = await finance.costs.topSpenders({ ...range, by: "routeName" });
    expect(top.map((t) => t.costMicros)).toEqual([8_000n]);
  });

  it("refuses a caller without a session and a user whose account is gone", async () => {
    const { createCaller } = await import("../src/server/api/root.ts");
    const anon = createCaller({ db, session: null, announce: async () => {} });
    expect(await codeOf(anon.keys.list({ tenantId: a.tenant.id }))).toBe("UNAUTHORIZED");
    expect(await codeOf(callerFor("no-such-user").keys.list({ tenantId: a.tenant.id }))).toBe("UNAUTHORIZED");
  });
});
