// Rollup numbers checked against logs with known costs and outcomes, plus idempotency, late logs,
// concurrent runs and the retention guard.
import { afterAll, describe, expect, it } from "vitest";
import { bucketOf, bucketValue, histogramPercentile } from "@gateway/db/latency-histogram";
import { runRollup } from "../src/jobs/rollup.ts";
import { addFeedback, at, createTenant, insertLogs, rollupRows, testPool } from "./helpers.ts";

const pool = testPool();
afterAll(() => pool.end());

const H10 = "2026-03-10T10:00:00.000Z";

async function seedKnownHour(tenantId: string): Promise<string[]> {
  const ids = await insertLogs(pool, tenantId, [
    {
      createdAt: at("2026-03-10T10:01:00Z"),
      costMicros: 1000,
      latencyMs: 100,
      ttftMs: 50,
      inputTokens: 10,
      outputTokens: 20,
    },
    {
      createdAt: at("2026-03-10T10:02:00Z"),
      costMicros: 3000,
      latencyMs: 300,
      ttftMs: 80,
      retryCount: 1,
      inputTokens: 30,
      outputTokens: 40,
      cachedTokens: 5,
    },
    {
      createdAt: at("2026-03-10T10:03:00Z"),
      status: "error",
      errorCode: "upstream_error",
      costMicros: 500,
      latencyMs: 900,
      retryCount: 1,
      fallbackUsed: true,
      inputTokens: 7,
    },
    { createdAt: at("2026-03-10T10:04:00Z"), status: "rejected", errorCode: "rate_limit_exceeded", latencyMs: 2 },
    { createdAt: at("2026-03-10T10:05:00Z"), cacheHit: "exact", latencyMs: 5, costSavedMicros: 1000 },
    // A second model in the same hour and a second hour of the same day.
    { createdAt: at("2026-03-10T10:06:00Z"), model: "claude-haiku", costMicros: 7, latencyMs: 40 },
    { createdAt: at("2026-03-10T11:30:00Z"), costMicros: 2000, latencyMs: 200, ttftMs: 60 },
  ]);
  await addFeedback(pool, tenantId, ids[0]!, at("2026-03-10T10:01:00Z"), "accepted");
  await addFeedback(pool, tenantId, ids[1]!, at("2026-03-10T10:02:00Z"), "regenerated");
  return ids;
}

describe("rollup", () => {
  it("folds logs into exact hourly and daily numbers", async () => {
    const tenantId = await createTenant(pool);
    await seedKnownHour(tenantId);
    const res = await runRollup(pool, { now: at("2026-03-10T12:00:00Z"), tenantId, stateName: `test:${tenantId}` });
    expect(res.hours).toBe(2);
    expect(res.rowsRead).toBe(7);

    const hourly = await rollupRows(pool, "rollups_hourly", tenantId);
    expect(hourly).toHaveLength(3);
    const main = hourly.find((r) => r.model === "gpt-4o-mini" && (r.bucket_start as Date).toISOString() === H10)!;
    expect(main).toMatchObject({
      app_id: "app_1",
      environment: "production",
      api_key_id: "key_1",
      route_name: "support-summary",
      workflow: "",
      requests: 5,
      successes: 3,
      errors: 2,
      errors_by_class: { upstream_error: 1, rate_limit_exceeded: 1 },
      fallbacks: 1,
      retries: 2,
      cache_hits: 1,
      input_tokens: "47",
      output_tokens: "60",
      cached_tokens: "5",
      cost_micros: "4500",
      success_cost_micros: "4000",
      cost_saved_micros: "1000",
      feedback_accepted: 1,
      feedback_regenerated: 1,
      feedback_edited: 0,
      feedback_abandoned: 0,
    });
    // Cost per successful result: every micro-dollar of the bucket (the failed call included) over successes.
    expect(Number(main.cost_micros) / (main.successes as number)).toBe(1500);
    // The rejected request does not count towards latency; the other four do.
    const latencies = [100, 300, 900, 5];
    const hist: Record<string, number> = {};
    for (const ms of latencies) hist[String(bucketOf(ms))] = (hist[String(bucketOf(ms))] ?? 0) + 1;
    expect(main.latency_hist).toEqual(hist);
    expect(main.latency_p50_ms).toBe(bucketValue(bucketOf(100)));
    expect(main.latency_p95_ms).toBe(bucketValue(bucketOf(900)));
    expect(main.latency_p99_ms).toBe(bucketValue(bucketOf(900)));
    expect(main.ttft_p50_ms).toBe(bucketValue(bucketOf(50)));
    expect(main.ttft_p95_ms).toBe(bucketValue(bucketOf(80)));
    // The reported value is the bucket's upper bound: within 5% above the true value.
    expect(bucketValue(bucketOf(100))).toBeGreaterThanOrEqual(100);
    expect(bucketValue(bucketOf(100))).toBeLessThanOrEqual(105);

    const daily = await rollupRows(pool, "rollups_daily", tenantId);
    expect(daily).toHaveLength(2);
    const day = daily.find((r) => r.model === "gpt-4o-mini")!;
    expect((day.bucket_start as Date).toISOString()).toBe("2026-03-10T00:00:00.000Z");
    expect(day).toMatchObject({
      requests: 6,
      successes: 4,
      errors: 2,
      cost_micros: "6500",
      success_cost_micros: "6000",
      feedback_accepted: 1,
    });
    expect(day.errors_by_class).toEqual({ upstream_error: 1, rate_limit_exceeded: 1 });
    // Daily percentiles come from merged histograms, not from averaging the hourly p95s.
    const dayHist: Record<string, number> = { ...hist };
    dayHist[String(bucketOf(200))] = (dayHist[String(bucketOf(200))] ?? 0) + 1;
    expect(day.latency_hist).toEqual(dayHist);
    expect(day.latency_p50_ms).toBe(histogramPercentile(dayHist, 0.5));
    expect(day.latency_p95_ms).toBe(histogramPercentile(dayHist, 0.95));
  });

  it("gives the same rows when run twice, and when two runs race", async () => {
    const tenantId = await createTenant(pool);
    await seedKnownHour(tenantId);
    const opts = { now: at("2026-03-10T12:00:00Z"), tenantId, stateName: `test:${tenantId}` };
    await runRollup(pool, opts);
    const first = {
      hourly: await rollupRows(pool, "rollups_hourly", tenantId),
      daily: await rollupRows(pool, "rollups_daily", tenantId),
    };
    const updatedBefore = await pool.query("SELECT max(updated_at) AS u FROM rollups_hourly WHERE tenant_id = $1", [
      tenantId,
    ]);

    const again = await runRollup(pool, { ...opts, stateName: `test2:${tenantId}` });
    expect(again.hours).toBe(2);
    expect(again.hourlyUpserted).toBe(0); // nothing changed, nothing written
    expect(again.hourlyDeleted).toBe(0);
    const updatedAfter = await pool.query("SELECT max(updated_at) AS u FROM rollups_hourly WHERE tenant_id = $1", [
      tenantId,
    ]);
    expect(updatedAfter.rows[0].u).toEqual(updatedBefore.rows[0].u);

    // Two fresh runs at once over a second tenant with the same logs produce the same rows as one run.
    const other = await createTenant(pool);
    await seedKnownHour(other);
    await Promise.all([
      runRollup(pool, { now: opts.now, tenantId: other, stateName: `a:${other}` }),
      runRollup(pool, { now: opts.now, tenantId: other, stateName: `b:${other}` }),
    ]);
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ tenant_id: _t, ...r }) => r);
    expect(strip(await rollupRows(pool, "rollups_hourly", other))).toEqual(strip(first.hourly));
    expect(strip(await rollupRows(pool, "rollups_daily", other))).toEqual(strip(first.daily));
    expect(await rollupRows(pool, "rollups_hourly", tenantId)).toEqual(first.hourly);
  });

  it("counts late logs and late feedback exactly once", async () => {
    const tenantId = await createTenant(pool);
    const stateName = `test:${tenantId}`;
    const [first] = await insertLogs(pool, tenantId, [{ createdAt: at("2026-03-10T10:20:00Z"), costMicros: 100 }]);
    await runRollup(pool, { now: at("2026-03-10T10:30:00Z"), tenantId, stateName });

    // Written a few minutes after its timestamp, into an hour already rolled up: within the lag window.
    await insertLogs(pool, tenantId, [
      { createdAt: at("2026-03-10T10:25:00Z"), costMicros: 50, status: "error", errorCode: "upstream_timeout" },
    ]);
    await addFeedback(pool, tenantId, first!, at("2026-03-10T10:20:00Z"), "accepted", at("2026-03-10T10:31:00Z"));
    const r2 = await runRollup(pool, { now: at("2026-03-10T10:32:00Z"), tenantId, stateName });
    expect(r2.hours).toBe(1);
    await runRollup(pool, { now: at("2026-03-10T10:33:00Z"), tenantId, stateName });
    let rows = await rollupRows(pool, "rollups_hourly", tenantId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ requests: 2, successes: 1, errors: 1, cost_micros: "150", feedback_accepted: 1 });

    // Much later than the lag (a proxy replaying its journal): the incremental pass cannot see it, the
    // hourly reconcile pass does, and counts it once.
    await runRollup(pool, { now: at("2026-03-10T13:00:00Z"), tenantId, stateName });
    await insertLogs(pool, tenantId, [{ createdAt: at("2026-03-10T10:15:00Z"), costMicros: 25 }]);
    const r3 = await runRollup(pool, { now: at("2026-03-10T13:00:30Z"), tenantId, stateName });
    expect(r3.hours).toBe(0);
    const rec = await runRollup(pool, { now: at("2026-03-10T13:00:00Z"), tenantId, stateName, mode: "reconcile" });
    expect(rec.hours).toBe(1);
    const rec2 = await runRollup(pool, { now: at("2026-03-10T13:01:00Z"), tenantId, stateName, mode: "reconcile" });
    expect(rec2.hours).toBe(0);
    rows = await rollupRows(pool, "rollups_hourly", tenantId);
    expect(rows[0]).toMatchObject({ requests: 3, successes: 2, cost_micros: "175" });
    const daily = await rollupRows(pool, "rollups_daily", tenantId);
    expect(daily[0]).toMatchObject({ requests: 3, successes: 2, cost_micros: "175", feedback_accepted: 1 });
  });

  it("updates only the daily buckets whose hours changed, leaving the others as a full rebuild would", async () => {
    const tenantId = await createTenant(pool);
    const stateName = `test:${tenantId}`;
    await insertLogs(pool, tenantId, [
      { createdAt: at("2026-03-12T09:10:00Z"), model: "model-a", costMicros: 1 },
      { createdAt: at("2026-03-12T09:20:00Z"), model: "model-b", costMicros: 2 },
      { createdAt: at("2026-03-12T15:20:00Z"), model: "model-b", costMicros: 4 },
    ]);
    await runRollup(pool, { now: at("2026-03-12T16:00:00Z"), tenantId, stateName });
    await insertLogs(pool, tenantId, [{ createdAt: at("2026-03-12T15:55:00Z"), model: "model-a", costMicros: 8 }]);
    const r = await runRollup(pool, { now: at("2026-03-12T16:01:00Z"), tenantId, stateName });
    expect(r.dailyUpserted).toBe(1); // model-a's day row; model-b's is untouched
    const daily = await rollupRows(pool, "rollups_daily", tenantId);
    expect(daily.map((d) => [d.model, d.requests, d.cost_micros])).toEqual([
      ["model-a", 2, "9"],
      ["model-b", 2, "6"],
    ]);
    // A reconcile rebuilds every daily bucket of the day from scratch and finds nothing to change.
    await insertLogs(pool, tenantId, [{ createdAt: at("2026-03-12T11:00:00Z"), model: "model-c", costMicros: 16 }]);
    await runRollup(pool, { now: at("2026-03-12T16:02:00Z"), tenantId, stateName, mode: "reconcile" });
    expect(
      (await rollupRows(pool, "rollups_daily", tenantId)).map((d) => [d.model, d.requests, d.cost_micros]),
    ).toEqual([
      ["model-a", 2, "9"],
      ["model-b", 2, "6"],
      ["model-c", 1, "16"],
    ]);
  });

  it("recomputes an hour a writer marked dirty, however late, and clears the mark", async () => {
    const tenantId = await createTenant(pool);
    const stateName = `test:${tenantId}`;
    await insertLogs(pool, tenantId, [{ createdAt: at("2026-02-01T08:10:00Z"), costMicros: 10 }]);
    await runRollup(pool, { now: at("2026-02-01T09:00:00Z"), tenantId, stateName });
    // Replayed from a proxy's journal a week later: outside both the lag and the reconcile window.
    await insertLogs(pool, tenantId, [{ createdAt: at("2026-02-01T08:20:00Z"), costMicros: 5 }]);
    const mark = `dirty:${tenantId}:2026-02-01T08:00:00.000Z`;
    await pool.query(
      `INSERT INTO rollup_state (name, watermark) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET updated_at = now()`,
      [mark, at("2026-02-01T08:00:00Z")],
    );
    const r = await runRollup(pool, { now: at("2026-02-08T09:00:00Z"), tenantId, stateName });
    expect(r.hours).toBe(1);
    expect((await rollupRows(pool, "rollups_hourly", tenantId))[0]).toMatchObject({ requests: 2, cost_micros: "15" });
    expect((await rollupRows(pool, "rollups_daily", tenantId))[0]).toMatchObject({ requests: 2, cost_micros: "15" });
    expect((await pool.query("SELECT 1 FROM rollup_state WHERE name = $1", [mark])).rowCount).toBe(0);
    expect((await runRollup(pool, { now: at("2026-02-08T09:01:00Z"), tenantId, stateName })).hours).toBe(0);
  });

  it("never recomputes an hour downward after retention removed its logs", async () => {
    const tenantId = await createTenant(pool);
    const stateName = `test:${tenantId}`;
    const [id] = await insertLogs(pool, tenantId, [
      { createdAt: at("2026-01-05T08:10:00Z"), costMicros: 10 },
      { createdAt: at("2026-01-05T08:20:00Z"), costMicros: 20 },
    ]);
    await runRollup(pool, { now: at("2026-01-05T09:00:00Z"), tenantId, stateName });
    const before = await rollupRows(pool, "rollups_hourly", tenantId);
    await pool.query("DELETE FROM request_logs WHERE tenant_id = $1", [tenantId]);
    // Feedback on a request whose log is gone touches its hour again.
    await addFeedback(pool, tenantId, id!, at("2026-01-05T08:10:00Z"), "accepted", at("2026-04-01T00:00:00Z"));
    const r = await runRollup(pool, { now: at("2026-04-01T00:01:00Z"), tenantId, stateName });
    expect(r.hours).toBe(1);
    expect(r.hoursKeptAfterRetention).toBe(1);
    expect(await rollupRows(pool, "rollups_hourly", tenantId)).toEqual(before);
  });
});
