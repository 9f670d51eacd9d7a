// Schedules are declared idempotently, so every replica can declare them at start-up; payloads are checked.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { toCsv } from "@gateway/db/reports";
import { closeQueues, createQueues, parsePayload, QueueName } from "../src/queues.ts";
import { upsertSchedules } from "../src/schedules.ts";

const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
const queues = createQueues({ connection, prefix: `test-sched-${randomUUID()}` });
afterAll(async () => {
  await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true })));
  await closeQueues(queues);
  await connection.quit();
});

describe("schedules and payloads", () => {
  it("declares each schedule once however often replicas start", async () => {
    await upsertSchedules(queues);
    await upsertSchedules(queues, { everyMs: 30_000 });
    const rollup = await queues[QueueName.Rollup].getJobSchedulers();
    expect(rollup.map((s) => s.key).sort()).toEqual(["rollup-incremental", "rollup-reconcile"]);
    expect(rollup.find((s) => s.key === "rollup-incremental")!.every).toBe(30_000);
    expect((await queues[QueueName.Retention].getJobSchedulers()).map((s) => s.pattern)).toEqual(["30 3 * * *"]);
    expect((await queues[QueueName.PartitionMaintenance].getJobSchedulers()).map((s) => s.key)).toEqual([
      "partitions-daily",
    ]);
    expect(await queues[QueueName.AlertsEvaluate].getJobSchedulersCount()).toBe(1);
  });

  it("rejects a malformed payload naming the field", () => {
    expect(parsePayload(QueueName.Rollup, {})).toEqual({ mode: "incremental" });
    expect(() => parsePayload(QueueName.Rollup, { mode: "sometimes" })).toThrow(/invalid rollup job payload at mode/);
    expect(() => parsePayload(QueueName.AlertDelivery, {})).toThrow(/alert-delivery job payload at eventId/);
  });

  it("writes CSV with quoting and dollar columns", () => {
    const csv = toCsv([
      { group: 'say "hi", now', costMicros: 1_500_000n, at: new Date("2026-01-02T03:04:05Z"), n: null },
    ]);
    expect(csv).toBe(
      'group,costMicros,costUsd,at,n\r\n"say ""hi"", now",1500000,1.500000,2026-01-02T03:04:05.000Z,\r\n',
    );
  });
});
