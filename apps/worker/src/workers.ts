// The one place that starts a BullMQ Worker per queue, with its concurrency, rate limit and listeners,
// and closes them all on shutdown (letting running jobs finish).
import { Worker, type ConnectionOptions, type Job } from "bullmq";
import type { WorkerDeps } from "./deps.ts";
import { deadLetterIfPending } from "./jobs/alert-delivery.ts";
import { processAlertDelivery, processAlertsEvaluate } from "./processors/alerts.ts";
import { processPartitionMaintenance, processRetention } from "./processors/retention.ts";
import { processRollup } from "./processors/rollup.ts";
import { QueueName } from "./queues.ts";

type Processor = (deps: WorkerDeps, job: Job) => Promise<unknown>;

interface WorkerSpec {
  processor: Processor;
  concurrency: number;
  limiter?: { max: number; duration: number };
}

const specs: Record<QueueName, WorkerSpec> = {
  // Rollups and retention are heavy SQL on one Postgres: one at a time per process is plenty, and
  // idempotent recomputation makes more replicas safe.
  [QueueName.Rollup]: { processor: processRollup, concurrency: 1 },
  [QueueName.AlertsEvaluate]: { processor: processAlertsEvaluate, concurrency: 1 },
  // Webhook posts wait on the network, not on us; the limiter keeps a burst of alerts from flooding Slack.
  [QueueName.AlertDelivery]: { processor: processAlertDelivery, concurrency: 8, limiter: { max: 20, duration: 1_000 } },
  [QueueName.Retention]: { processor: processRetention, concurrency: 1 },
  [QueueName.PartitionMaintenance]: { processor: processPartitionMaintenance, concurrency: 1 },
};

export interface RunningWorkers {
  workers: Worker[];
  close(): Promise<void>;
}

export function registerWorkers(
  deps: WorkerDeps,
  settings: { connection: ConnectionOptions; prefix: string },
): RunningWorkers {
  const workers = (Object.keys(specs) as QueueName[]).map((name) => {
    const spec = specs[name];
    const worker = new Worker(name, (job) => spec.processor(deps, job), {
      connection: settings.connection,
      prefix: settings.prefix,
      concurrency: spec.concurrency,
      ...(spec.limiter ? { limiter: spec.limiter } : {}),
    });
    worker.on("failed", (job, err) => {
      const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
      deps.log.error("job failed", {
        queue: name,
        jobId: job?.id,
        attemptsMade: job?.attemptsMade,
        final,
        error: err.message,
      });
      if (final && name === QueueName.AlertDelivery) {
        const eventId = (job.data as { eventId?: unknown }).eventId;
        if (typeof eventId === "string") {
          deadLetterIfPending(deps.prisma, eventId, `queue gave up: ${err.message}`).catch((e: unknown) =>
            deps.log.error("could not dead-letter alert event", {
              eventId,
              error: e instanceof Error ? e.message : String(e),
            }),
          );
        }
      }
    });
    worker.on("stalled", (jobId) => deps.log.error("job stalled; it will be retried", { queue: name, jobId }));
    worker.on("error", (err) => deps.log.error("worker error", { queue: name, error: err.message }));
    return worker;
  });
  return {
    workers,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
