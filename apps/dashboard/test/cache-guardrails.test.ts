// Caching and guardrails in the dashboard: the savings/guardrail report over the rollups, the costs
// endpoint that charts it, route versions carrying semantic cache and guardrail settings (hostile regexes
// refused, nothing saved), and the semantic cache backend indicator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheAndGuardrails } from "@gateway/db/reports";
import { callerFor, db, makeTenant, type Announcement, type TenantFixture } from "./fixtures.ts";

let f: TenantFixture;

beforeAll(async () => {
  f = await makeTenant("cachegr");
  await db.model.create({
    data: {
      tenantId: f.tenant.id,
      name: "embed-small",
      providerAccountId: f.provider.id,
      upstreamModel: "text-embedding-3-small",
      kind: "embedding",
    },
  });
});

afterAll(async () => {
  await db.$disconnect();
});

const H = (iso: string) => new Date(iso);
const base = {
  appId: "",
  environment: "production",
  apiKeyId: "",
  model: "fast",
  workflow: "",
};

describe("cacheAndGuardrails report", () => {
  beforeAll(async () => {
    const tenantId = f.tenant.id;
    await db.rollupHourly.createMany({
      data: [
        // 10:00 — two routes; a different key on the same route sums into it.
        {
          ...base,
          tenantId,
          bucketStart: H("2026-03-02T10:00:00Z"),
          routeName: "support",
          requests: 10,
          cacheHits: 4,
          costSavedMicros: 1_200n,
          guardrailHits: 1,
        },
        {
          ...base,
          tenantId,
          bucketStart: H("2026-03-02T10:00:00Z"),
          routeName: "support",
          apiKeyId: "k2",
          requests: 6,
          cacheHits: 2,
          costSavedMicros: 300n,
          guardrailHits: 2,
        },
        {
          ...base,
          tenantId,
          bucketStart: H("2026-03-02T10:00:00Z"),
          routeName: "billing",
          requests: 4,
          cacheHits: 0,
          costSavedMicros: 0n,
          guardrailHits: 3,
        },
        // 11:00 — direct model calls have an empty route name.
        {
          ...base,
          tenantId,
          bucketStart: H("2026-03-02T11:00:00Z"),
          routeName: "",
          requests: 5,
          cacheHits: 5,
          costSavedMicros: 5_000n,
          guardrailHits: 0,
        },
        // Outside the range: must not count.
        {
          ...base,
          tenantId,
          bucketStart: H("2026-03-02T12:00:00Z"),
          routeName: "support",
          requests: 99,
          cacheHits: 99,
          costSavedMicros: 99_999n,
          guardrailHits: 99,
        },
      ],
    });
    await db.rollupDaily.createMany({
      data: [
        {
          ...base,
          tenantId,
          bucketStart: H("2026-03-02T00:00:00Z"),
          routeName: "support",
          requests: 16,
          cacheHits: 6,
          costSavedMicros: 1_500n,
          guardrailHits: 3,
        },
        {
          ...base,
          tenantId,
          bucketStart: H("2026-03-03T00:00:00Z"),
          routeName: "support",
          requests: 0,
          cacheHits: 0,
          costSavedMicros: 0n,
          guardrailHits: 0,
        },
      ],
    });
  });

  it("sums hourly buckets overall, with the hit rate of all requests", async () => {
    const rows = await cacheAndGuardrails(db, {
      tenantId: f.tenant.id,
      from: H("2026-03-02T10:00:00Z"),
      to: H("2026-03-02T12:00:00Z"),
      granularity: "hour",
    });
    expect(rows).toEqual([
      {
        bucketStart: H("2026-03-02T10:00:00Z"),
        group: null,
        requests: 20,
        cacheHits: 6,
        cacheHitRate: 0.3,
        costSavedMicros: 1_500n,
        guardrailHits: 6,
      },
      {
        bucketStart: H("2026-03-02T11:00:00Z"),
        group: null,
        requests: 5,
        cacheHits: 5,
        cacheHitRate: 1,
        costSavedMicros: 5_000n,
        guardrailHits: 0,
      },
    ]);
  });

  it("groups by route, and reads daily rollups at day granularity (null rate where nothing ran)", async () => {
    const byRoute = await cacheAndGuardrails(db, {
      tenantId: f.tenant.id,
      from: H("2026-03-02T10:00:00Z"),
      to: H("2026-03-02T12:00:00Z"),
      granularity: "hour",
      groupBy: "route",
    });
    expect(
      byRoute.map((r) => [
        r.bucketStart.toISOString(),
        r.group,
        r.requests,
        r.cacheHits,
        r.costSavedMicros,
        r.guardrailHits,
      ]),
    ).toEqual([
      ["2026-03-02T10:00:00.000Z", "billing", 4, 0, 0n, 3],
      ["2026-03-02T10:00:00.000Z", "support", 16, 6, 1_500n, 3],
      ["2026-03-02T11:00:00.000Z", "", 5, 5, 5_000n, 0],
    ]);
    const daily = await cacheAndGuardrails(db, {
      tenantId: f.tenant.id,
      from: H("2026-03-02T00:00:00Z"),
      to: H("2026-03-04T00:00:00Z"),
      granularity: "day",
    });
    expect(daily).toEqual([
      {
        bucketStart: H("2026-03-02T00:00:00Z"),
        group: null,
        requests: 16,
        cacheHits: 6,
        cacheHitRate: 0.375,
        costSavedMicros: 1_500n,
        guardrailHits: 3,
      },
      {
        bucketStart: H("2026-03-03T00:00:00Z"),
        group: null,
        requests: 0,
        cacheHits: 0,
        cacheHitRate: null,
        costSavedMicros: 0n,
        guardrailHits: 0,
      },
    ]);
  });

  it("the costs endpoint charts savings per bucket and guardrail hits per route, with totals", async () => {
    const c = callerFor(f.users.finance.id);
    const r = await c.costs.cacheGuardrails({
      tenantId: f.tenant.id,
      from: H("2026-03-02T10:00:00Z"),
      to: H("2026-03-02T12:00:00Z"),
    });
    expect(r.granularity).toBe("hour");
    expect(r.totals).toEqual({
      requests: 25,
      cacheHits: 11,
      cacheHitRate: 11 / 25,
      costSavedMicros: 6_500n,
      guardrailHits: 6,
    });
    expect(r.savings).toEqual([
      { t: "2026-03-02T10:00:00.000Z", savedUsd: 0.0015, hitRate: 0.3 },
      { t: "2026-03-02T11:00:00.000Z", savedUsd: 0.005, hitRate: 1 },
    ]);
    expect(r.guardrailByRoute).toEqual([
      { routeName: "billing", hits: 3 },
      { routeName: "support", hits: 3 },
    ]);
    expect(r.guardrailSeries).toEqual(["billing", "support"]);
    expect(r.guardrailPoints).toEqual([{ t: "2026-03-02T10:00:00.000Z", billing: 3, support: 3 }]);
  });

  it("the CSV export carries cache hits, cost saved and guardrail hits per route", async () => {
    const csv = await callerFor(f.users.finance.id).costs.exportCsv({
      tenantId: f.tenant.id,
      from: H("2026-03-02T10:00:00Z"),
      to: H("2026-03-02T12:00:00Z"),
    });
    const [header, ...lines] = csv.trim().split("\r\n");
    expect(header!.split(",").slice(-4)).toEqual(["cacheHits", "costSavedMicros", "costSavedUsd", "guardrailHits"]);
    const support = lines.find((l) => l.split(",")[2] === "support")!;
    expect(support.split(",").slice(-4)).toEqual(["6", "1500", "0.001500", "3"]);
  });

  it("another tenant sees none of it", async () => {
    const other = await makeTenant("cachegr-other");
    const rows = await cacheAndGuardrails(db, {
      tenantId: other.tenant.id,
      from: H("2026-03-02T00:00:00Z"),
      to: H("2026-03-04T00:00:00Z"),
      granularity: "hour",
    });
    expect(rows).toEqual([]);
    await expect(
      callerFor(other.users.finance.id).costs.cacheGuardrails({
        tenantId: f.tenant.id,
        from: H("2026-03-02T00:00:00Z"),
        to: H("2026-03-04T00:00:00Z"),
      }),
    ).rejects.toThrow();
  });
});

const spec = {
  riskLevel: "low" as const,
  targets: [{ model: "fast" }],
  upgradeRules: [],
  retryLimit: 1,
  totalTimeoutMs: 30000,
  ttftTimeoutMs: 5000,
  maxInputTokens: null,
  maxOutputTokens: null,
  validator: null,
  cacheTtlSeconds: 300,
  semanticCache: null,
  guardrails: null,
};

describe("route versions with caching and guardrails", () => {
  it("saves semantic cache and guardrails as a new version, audited and announced", async () => {
    const announced: Announcement[] = [];
    const c = callerFor(f.users.product.id, announced);
    const guardrails = {
      input: {
        pii: { action: "redact" as const, kinds: ["email" as const] },
        bannedPatterns: [{ name: "project", pattern: "project\\s+falcon", action: "block" as const }],
      },
      output: { pii: { action: "redact" as const }, streamMode: "buffer" as const },
    };
    const semanticCache = { enabled: true, embeddingModel: "embed-small", threshold: 0.95, maxEntries: 1000 };
    const saved = await c.routes.saveVersion({
      tenantId: f.tenant.id,
      routeId: f.route.id,
      baseVersion: 1,
      spec: { ...spec, semanticCache, guardrails },
      note: "cache and guardrails",
    });
    expect(saved.version).toBe(2);
    const got = await c.routes.get({ tenantId: f.tenant.id, routeId: f.route.id });
    const v2 = got.versions.find((v) => v.version === 2)!;
    expect(v2.spec.cacheTtlSeconds).toBe(300);
    expect(v2.spec.semanticCache).toEqual(semanticCache);
    expect(v2.spec.guardrails).toEqual(guardrails);
    const audit = await db.auditLog.findFirstOrThrow({
      where: { tenantId: f.tenant.id, action: "route.update", resourceId: f.route.id },
    });
    expect(JSON.stringify(audit.after)).toContain("project\\\\s+falcon");
    expect(announced).toEqual([{ tenantId: f.tenant.id, reason: "route.update" }]);
  });

  it("refuses a hostile banned regex with the path and reason, and saves nothing", async () => {
    const announced: Announcement[] = [];
    const c = callerFor(f.users.product.id, announced);
    const route = await db.route.findUniqueOrThrow({ where: { id: f.route.id } });
    const auditsBefore = await db.auditLog.count({ where: { tenantId: f.tenant.id } });
    const hostile = {
      ...spec,
      guardrails: {
        input: {
          bannedPatterns: [
            { name: "fine", pattern: "falcon", action: "block" as const },
            { name: "evil", pattern: "(a+)+$", action: "block" as const },
          ],
        },
      },
    };
    const err = await c.routes
      .saveVersion({ tenantId: f.tenant.id, routeId: route.id, baseVersion: route.currentVersion, spec: hostile })
      .then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
    expect(err?.code).toBe("BAD_REQUEST");
    expect(err?.message).toMatch(/^guardrails\.input\.bannedPatterns\[1\]\.pattern: /);
    await expect(c.routes.create({ tenantId: f.tenant.id, name: "evil-route", spec: hostile })).rejects.toThrow(
      /guardrails\.input\.bannedPatterns\[1\]\.pattern/,
    );

    expect((await db.route.findUniqueOrThrow({ where: { id: route.id } })).currentVersion).toBe(route.currentVersion);
    expect(await db.routeVersion.count({ where: { routeId: route.id } })).toBe(route.currentVersion);
    expect(await db.route.findFirst({ where: { tenantId: f.tenant.id, name: "evil-route" } })).toBeNull();
    expect(await db.auditLog.count({ where: { tenantId: f.tenant.id } })).toBe(auditsBefore);
    expect(announced).toEqual([]);
  });

  it("does not restore an old version whose banned regex the gate refuses", async () => {
    const c = callerFor(f.users.product.id);
    // A version that reached the database without the gate (an old release, a hand-written row).
    const route = await db.route.create({
      data: {
        tenantId: f.tenant.id,
        name: "legacy-route",
        currentVersion: 2,
        versions: {
          create: [
            {
              version: 1,
              riskLevel: "low",
              targets: [{ model: "fast" }],
              guardrails: { input: { bannedPatterns: [{ name: "old", pattern: "(x+x+)+y", action: "block" }] } },
            },
            { version: 2, riskLevel: "low", targets: [{ model: "fast" }] },
          ],
        },
      },
    });
    await expect(c.routes.restore({ tenantId: f.tenant.id, routeId: route.id, version: 1 })).rejects.toThrow(
      /^guardrails\.input\.bannedPatterns\[0\]\.pattern: /,
    );
    expect((await db.route.findUniqueOrThrow({ where: { id: route.id } })).currentVersion).toBe(2);
    expect(await db.routeVersion.count({ where: { routeId: route.id } })).toBe(2);
  });

  it("refuses a semantic cache whose embedding model is a chat model or unknown", async () => {
    const c = callerFor(f.users.product.id);
    const route = await db.route.findUniqueOrThrow({ where: { id: f.route.id } });
    const save = (embeddingModel: string) =>
      c.routes.saveVersion({
        tenantId: f.tenant.id,
        routeId: route.id,
        baseVersion: route.currentVersion,
        spec: { ...spec, semanticCache: { enabled: true, embeddingModel, threshold: 0.97, maxEntries: 5000 } },
      });
    await expect(save("fast")).rejects.toThrow('semanticCache.embeddingModel: model "fast" is not an embedding model');
    await expect(save("ghost")).rejects.toThrow('semanticCache.embeddingModel: unknown model "ghost"');
    expect(await db.routeVersion.count({ where: { routeId: route.id } })).toBe(route.currentVersion);
  });

  it("a viewer cannot save guardrails", async () => {
    const c = callerFor(f.users.viewer.id);
    await expect(
      c.routes.saveVersion({ tenantId: f.tenant.id, routeId: f.route.id, baseVersion: 2, spec }),
    ).rejects.toThrow();
  });
});

describe("semantic cache backend", () => {
  it("reports what the database offers, as the proxy would pick it", async () => {
    const c = callerFor(f.users.viewer.id);
    const b = await c.routes.semanticBackend({ tenantId: f.tenant.id });
    const [row] = await db.$queryRawUnsafe<{ installed: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS installed`,
    );
    if (row?.installed) expect(b).toMatchObject({ kind: "pgvector", label: "pgvector (HNSW)" });
    else expect(b).toMatchObject({ kind: "exact", label: "exact search fallback (no pgvector)" });
    expect(b.reason.length).toBeGreaterThan(0);
  });
});
