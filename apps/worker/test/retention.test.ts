// Retention removes old logs and old bodies per tenant, drops whole expired partitions, and keeps rollups.
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { dropExpiredPartitions, ensurePartitions, runRetention } from "../src/jobs/retention.ts";
import { runRollup } from "../src/jobs/rollup.ts";
import { at, createTenant, insertLogs, rollupRows, testPool } from "./helpers.ts";

const pool = testPool();
afterAll(() => pool.end());

const DAY = 86_400_000;

describe("retention", () => {
  it("deletes logs past retention, clears bodies sooner, keeps rollups", async () => {
    const tenantId = await createTenant(pool, { retentionDays: 30, bodyRetentionDays: 7 });
    const body = { messages: [{ role: "user", content: "hello" }] };
    const [old, middle, recent] = await insertLogs(pool, tenantId, [
      { createdAt: at("2026-05-01T10:00:00Z"), costMicros: 10, requestBody: body, responseBody: body },
      { createdAt: at("2026-06-20T10:00:00Z"), costMicros: 20, requestBody: body, responseBody: body },
      { createdAt: at("2026-06-29T10:00:00Z"), costMicros: 40, requestBody: body, responseBody: body },
    ]);
    const now = at("2026-06-30T12:00:00Z");
    await runRollup(pool, { now, tenantId, stateName: `test:${tenantId}` });
    const hourlyBefore = await rollupRows(pool, "rollups_hourly", tenantId);
    const dailyBefore = await rollupRows(pool, "rollups_daily", tenantId);

    // Rolled up only until April: the old log must wait; bodies do not feed rollups, so they go anyway.
    const waiting = await runRetention(pool, {
      now,
      tenantId,
      rolledUpBefore: at("2026-04-01T00:00:00Z"),
      batchSize: 1,
    });
    expect(waiting).toEqual({ tenants: 1, logsDeleted: 0, bodiesCleared: 2 });

    const r = await runRetention(pool, { now, tenantId, rolledUpBefore: now, batchSize: 1 });
    expect(r).toEqual({ tenants: 1, logsDeleted: 1, bodiesCleared: 0 });
    const logs = await pool.query(
      "SELECT id, request_body IS NULL AS no_req, response_body IS NULL AS no_res FROM request_logs WHERE tenant_id = $1 ORDER BY created_at",
      [tenantId],
    );
    expect(logs.rows).toEqual([
      { id: middle, no_req: true, no_res: true },
      { id: recent, no_req: false, no_res: false },
    ]);
    expect(logs.rows.map((x: { id: string }) => x.id)).not.toContain(old);

    expect(await rollupRows(pool, "rollups_hourly", tenantId)).toEqual(hourlyBefore);
    expect(await rollupRows(pool, "rollups_daily", tenantId)).toEqual(dailyBefore);
    // A later rollup over the same hours leaves them alone.
    await runRollup(pool, { now, tenantId, stateName: `again:${tenantId}` });
    expect(await rollupRows(pool, "rollups_hourly", tenantId)).toEqual(hourlyBefore);

    const second = await runRetention(pool, { now, tenantId, rolledUpBefore: now });
    expect(second).toEqual({ tenants: 1, logsDeleted: 0, bodiesCleared: 0 });
  });

  it("drops a monthly partition once every tenant's retention has passed it", async () => {
    // An ancient month no other test writes to, so dropping it cannot touch anyone else's rows.
    const tenantId = await createTenant(pool, { retentionDays: 1 });
    await ensurePartitions(pool, { now: at("2001-01-01T00:00:00Z"), monthsAhead: 1 });
    const id = `req_${randomUUID()}`;
    await insertLogs(pool, tenantId, [{ id, createdAt: at("2001-01-15T00:00:00Z"), costMicros: 5 }]);
    const where = await pool.query("SELECT tableoid::regclass::text AS part FROM request_logs WHERE id = $1", [id]);
    expect(where.rows[0].part).toBe("request_log_partitions.request_logs_2001_01");
    await runRollup(pool, { now: at("2001-01-16T00:00:00Z"), tenantId, stateName: `test:${tenantId}` });

    const maxDays = (await pool.query("SELECT max(retention_days)::int AS d FROM tenants")).rows[0].d as number;
    // Just before the month leaves the longest retention: kept.
    const justBefore = new Date(at("2001-02-01T00:00:00Z").getTime() + maxDays * DAY - 1_000);
    const kept = await dropExpiredPartitions(pool, { now: justBefore, rolledUpBefore: justBefore });
    expect(kept.dropped).not.toContain("request_logs_2001_01");
    const after = new Date(at("2001-02-01T00:00:00Z").getTime() + maxDays * DAY);
    const res = await dropExpiredPartitions(pool, { now: after, rolledUpBefore: after });
    expect(res.dropped).toEqual(["request_logs_2001_01"]);
    expect((await pool.query("SELECT count(*)::int AS n FROM request_logs WHERE id = $1", [id])).rows[0].n).toBe(0);
    expect(
      (await pool.query("SELECT to_regclass('request_log_partitions.request_logs_2001_01') AS t")).rows[0].t,
    ).toBeNull();
    const rollups = await rollupRows(pool, "rollups_hourly", tenantId);
    expect(rollups).toHaveLength(1);
    expect(rollups[0]).toMatchObject({ requests: 1, cost_micros: "5" });
  });
});
