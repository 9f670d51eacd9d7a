// Repeatable jobs, declared with upsertJobScheduler so every replica can (re)declare them at start-up
// without creating duplicates.
import { QueueName, type Queues } from "./queues.ts";

export async function upsertSchedules(queues: Queues, opts: { everyMs?: number } = {}): Promise<void> {
  const every = opts.everyMs ?? 60_000;
  await queues[QueueName.Rollup].upsertJobScheduler(
    "rollup-incremental",
    { every },
    { name: "rollup", data: { mode: "incremental" } },
  );
  // Catches logs written later than the lag window (a proxy replaying its journal).
  await queues[QueueName.Rollup].upsertJobScheduler(
    "rollup-reconcile",
    { pattern: "7 * * * *" },
    { name: "rollup", data: { mode: "reconcile" } },
  );
  await queues[QueueName.AlertsEvaluate].upsertJobScheduler(
    "alerts-evaluate",
    { every },
    { name: "alerts-evaluate", data: {} },
  );
  await queues[QueueName.Retention].upsertJobScheduler(
    "retention-daily",
    { pattern: "30 3 * * *" },
    { name: "retention", data: {} },
  );
  await queues[QueueName.PartitionMaintenance].upsertJobScheduler(
    "partitions-daily",
    { pattern: "15 0 * * *" },
    { name: "partition-maintenance", data: { monthsAhead: 3 } },
  );
}
