import type { Job } from "bullmq";
import type { WorkerDeps } from "../deps.ts";
import { runRollup } from "../jobs/rollup.ts";
import { parsePayload, QueueName } from "../queues.ts";

export async function processRollup(deps: WorkerDeps, job: Job): Promise<unknown> {
  const p = parsePayload(QueueName.Rollup, job.data);
  const r = await runRollup(deps.pool, {
    now: deps.now(),
    mode: p.mode,
    tenantId: p.tenantId,
    lagMs: deps.rollupLagMs,
  });
  if (r.hours > 0) deps.log.info("rollup done", { ...r });
  return r;
}
