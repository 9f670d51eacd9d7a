// Report queries over rollups built from logs with known costs: the numbers the dashboard shows.
import { afterAll, describe, expect, it } from "vitest";
import { getPrisma } from "@gateway/db";
import { bucketOf, bucketValue } from "@gateway/db/latency-histogram";
import {
  budgetBurnDown,
  budgetPeriod,
  costOverTime,
  costPerSuccess,
  latencyByRoute,
  reliability,
  toCsv,
  topSpenders,
} from "@gateway/db/reports";
import { runRollup } from "../src/jobs/rollup.ts";
import { addFeedback, at, createTenant, insertLogs, testPool } from "./helpers.ts";

const pool = testPool();
const prisma = getPrisma();
afterAll(() => pool.end());

describe("reports", () => {
  it("answers cost, cost per success, latency, reliability and top spenders from rollups", async () => {
    const tenantId = await createTenant(pool);
    const ids = await insertLogs(pool, tenantId, [
      {
        createdAt: at("2026-05-04T09:10:00Z"),
        routeName: "summary",
        model: "m-small",
        costMicros: 1_000,
        latencyMs: 100,
        apiKeyId: "k1",
      },
      {
        createdAt: at("2026-05-04T09:20:00Z"),
        routeName: "summary",
        model: "m-small",
        costMicros: 1_500,
        latencyMs: 120,
        apiKeyId: "k1",
        status: "error",
        errorCode: "upstream_error",
        fallbackUsed: true,
      },
      {
        createdAt: at("2026-05-04T10:05:00Z"),
        routeName: "summary",
        model: "m-small",
        costMicros: 2_000,
        latencyMs: 140,
        apiKeyId: "k2",
      },
      {
        createdAt: at("2026-05-05T10:05:00Z"),
        routeName: "triage",
        model: "m-large",
        costMicros: 9_000,
        latencyMs: 2_000,
        apiKeyId: "k2",
      },
      {
        createdAt: at("2026-05-05T10:06:00Z"),
        routeName: "triage",
        model: "m-large",
        costMicros: 0,
        latencyMs: 3,
        apiKeyId: "k2",
        status: "rejected",
        errorCode: "budget_exceeded",
      },
    ]);
    await addFeedback(pool, tenantId, ids[0]!, at("2026-05-04T09:10:00Z"), "accepted");
    await runRollup(pool, { now: at("2026-05-06T00:00:00Z"), tenantId, stateName: `test:${tenantId}` });
    const range = { tenantId, from: at("2026-05-04T00:00:00Z"), to: at("2026-05-06T00:00:00Z") };

    const daily = await costOverTime(prisma, { ...range, granularity: "day", groupBy: null });
    expect(daily.map((d) => [d.bucketStart.toISOString(), d.costMicros, d.successes, d.costPerSuccessMicros])).toEqual([
      ["2026-05-04T00:00:00.000Z", 4_500n, 2, 2_250n],
      ["2026-05-05T00:00:00.000Z", 9_000n, 1, 9_000n],
    ]);
    expect(daily[0]!.costPerAcceptedMicros).toBe(4_500n);
    expect(daily[1]!.costPerAcceptedMicros).toBeNull();
    const hourlyByKey = await costOverTime(prisma, { ...range, granularity: "hour", groupBy: "key" });
    expect(hourlyByKey.map((d) => [d.bucketStart.toISOString(), d.group, d.costMicros])).toEqual([
      ["2026-05-04T09:00:00.000Z", "k1", 2_500n],
      ["2026-05-04T10:00:00.000Z", "k2", 2_000n],
      ["2026-05-05T10:00:00.000Z", "k2", 9_000n],
    ]);

    const cps = await costPerSuccess(prisma, range);
    expect(cps.map((r) => [r.routeName, r.model, r.costMicros, r.successes, r.costPerSuccessMicros])).toEqual([
      ["triage", "m-large", 9_000n, 1, 9_000n],
      ["summary", "m-small", 4_500n, 2, 2_250n],
    ]);

    const lat = await latencyByRoute(prisma, range);
    const summary = lat.find((r) => r.routeName === "summary")!;
    expect(summary.p50Ms).toBe(bucketValue(bucketOf(120)));
    expect(summary.p95Ms).toBe(bucketValue(bucketOf(140)));
    expect(lat.find((r) => r.routeName === "triage")!.p95Ms).toBe(bucketValue(bucketOf(2_000)));

    const rel = await reliability(prisma, { ...range, groupBy: "route" });
    const s = rel.find((r) => r.group === "summary")!;
    expect(s).toMatchObject({ requests: 3, errors: 1, fallbacks: 1, errorsByClass: { upstream_error: 1 } });
    expect(s.fallbackRate).toBeCloseTo(1 / 3);
    expect(rel.find((r) => r.group === "triage")!.errorsByClass).toEqual({ budget_exceeded: 1 });

    const top = await topSpenders(prisma, { ...range, by: "key" });
    expect(top.map((t) => [t.group, t.costMicros, t.sharePct])).toEqual([
      ["k2", 11_000n, 81.48],
      ["k1", 2_500n, 18.51],
    ]);

    const csv = toCsv(cps);
    expect(csv.split("\r\n")[0]).toBe(
      "routeName,model,requests,successes,successRate,feedbackAccepted,costMicros,costUsd,costPerSuccessMicros,costPerSuccessUsd,costPerAcceptedMicros,costPerAcceptedUsd",
    );
    expect(csv.split("\r\n")[1]).toBe("triage,m-large,2,1,0.5,0,9000,0.009000,9000,0.009000,,");
  });

  it("projects a monthly budget to month end in the tenant's time zone", async () => {
    const tenantId = await createTenant(pool, { timeZone: "America/New_York" });
    // 10 days into a 31-day May (New York time), $3 spent.
    await insertLogs(pool, tenantId, [
      { createdAt: at("2026-05-01T04:30:00Z"), costMicros: 1_000_000 }, // 00:30 local on May 1: in the period
      { createdAt: at("2026-05-01T03:30:00Z"), costMicros: 5_000_000 }, // 23:30 local on April 30: not
      { createdAt: at("2026-05-08T12:00:00Z"), costMicros: 2_000_000 },
    ]);
    await runRollup(pool, { now: at("2026-05-11T04:00:00Z"), tenantId, stateName: `test:${tenantId}` });
    const budget = await prisma.budget.create({
      data: {
        tenantId,
        name: "monthly",
        scope: "tenant",
        period: "month",
        limitMicros: 8_000_000n,
        softThresholdPct: 50,
      },
    });
    const now = at("2026-05-11T04:00:00Z"); // 00:00 local on May 11: 10 of 31 days elapsed
    expect(budgetPeriod(now, "America/New_York", "month")).toEqual({
      start: at("2026-05-01T04:00:00Z"),
      end: at("2026-06-01T04:00:00Z"),
    });
    const bd = (await budgetBurnDown(prisma, { tenantId, budgetId: budget.id, now }))!;
    expect(bd.spentMicros).toBe(3_000_000n);
    expect(bd.remainingMicros).toBe(5_000_000n);
    expect(bd.forecastMicros).toBe(9_300_000n);
    expect(bd.forecastExceedsLimit).toBe(true);
    expect(bd.projectedExhaustionAt?.toISOString()).toBe(
      new Date(at("2026-05-01T04:00:00Z").getTime() + (10 * 86_400_000 * 8) / 3).toISOString(),
    );
    expect(bd.series.map((p) => [p.at.toISOString(), p.cumulativeMicros])).toEqual([
      ["2026-05-01T04:00:00.000Z", 1_000_000n],
      ["2026-05-08T04:00:00.000Z", 3_000_000n],
    ]);
  });

  it("finds calendar periods in the tenant's zone across a DST change", () => {
    const sunday = at("2026-03-29T12:00:00Z"); // Berlin switches to summer time that morning
    expect(budgetPeriod(sunday, "Europe/Berlin", "day")).toEqual({
      start: at("2026-03-28T23:00:00Z"),
      end: at("2026-03-29T22:00:00Z"),
    });
    expect(budgetPeriod(sunday, "Europe/Berlin", "week")).toEqual({
      start: at("2026-03-22T23:00:00Z"),
      end: at("2026-03-29T22:00:00Z"),
    });
    expect(budgetPeriod(sunday, "Europe/Berlin", "month")).toEqual({
      start: at("2026-02-28T23:00:00Z"),
      end: at("2026-03-31T22:00:00Z"),
    });
    expect(budgetPeriod(at("2026-12-31T23:30:00Z"), "UTC", "month")).toEqual({
      start: at("2026-12-01T00:00:00Z"),
      end: at("2027-01-01T00:00:00Z"),
    });
    expect(budgetPeriod(sunday, "UTC", "total")).toEqual({ start: new Date(0), end: null });
  });
});
