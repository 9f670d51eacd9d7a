import type { Job } from "bullmq";
import type { WorkerDeps } from "../deps.ts";
import { dropExpiredPartitions, ensurePartitions, runRetention } from "../jobs/retention.ts";
import { parsePayload, QueueName } from "../queues.ts";

export async function processRetention(deps: WorkerDeps, job: Job): Promise<unknown> {
  const p = parsePayload(QueueName.Retention, job.data);
  const now = deps.now();
  const rows = await runRetention(deps.pool, { now, tenantId: p.tenantId });
  // Whole partitions only when running for every tenant: one tenant's run cannot judge the others.
  const parts = p.tenantId ? null : await dropExpiredPartitions(deps.pool, { now, action: deps.partitionAction });
  deps.log.info("retention done", { ...rows, partitions: parts });
  return { ...rows, partitions: parts };
}

export async function processPartitionMaintenance(deps: WorkerDeps, job: Job): Promise<unknown> {
  const p = parsePayload(QueueName.PartitionMaintenance, job.data);
  const created = await ensurePartitions(deps.pool, { now: deps.now(), monthsAhead: p.monthsAhead });
  if (created > 0) deps.log.info("request log partitions created", { created });
  return { created };
}
