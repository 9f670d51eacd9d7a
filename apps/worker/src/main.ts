// Starts the worker: queues, their workers and schedules, the health server; closes everything on
// SIGTERM/SIGINT after running jobs finish.
import { createPrisma } from "@gateway/db";
import { Redis } from "ioredis";
import pg from "pg";
import { jsonLogger, type WorkerDeps } from "./deps.ts";
import { loadEnv } from "./env.ts";
import { startHealthServer } from "./health.ts";
import { closeQueues, createQueues, QueueName } from "./queues.ts";
import { upsertSchedules } from "./schedules.ts";
import { registerWorkers } from "./workers.ts";

async function main(): Promise<void> {
  const env = loadEnv();
  const log = jsonLogger;
  // BullMQ needs maxRetriesPerRequest: null so its blocking commands wait out a Redis restart.
  const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 6 });
  const prisma = createPrisma(env.DATABASE_URL, { max: 6 });
  const queues = createQueues({ connection, prefix: env.WORKER_QUEUE_PREFIX });
  const deps: WorkerDeps = {
    pool,
    prisma,
    queues,
    log,
    now: () => new Date(),
    rollupLagMs: env.ROLLUP_LAG_MINUTES * 60_000,
    partitionAction: env.RETENTION_PARTITION_ACTION,
  };

  const running = registerWorkers(deps, { connection, prefix: env.WORKER_QUEUE_PREFIX });
  await upsertSchedules(queues, { everyMs: env.ROLLUP_INTERVAL_SECONDS * 1000 });
  // Make sure this month's partitions exist now rather than at the next daily run.
  await queues[QueueName.PartitionMaintenance].add("partition-maintenance", { monthsAhead: 3 });

  const health = await startHealthServer(env.WORKER_PORT, {
    postgres: async () => {
      await pool.query("SELECT 1");
    },
    redis: async () => {
      await connection.ping();
    },
  });
  log.info("worker started", { port: health.port, prefix: env.WORKER_QUEUE_PREFIX, queues: Object.values(QueueName) });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("worker stopping", { signal });
    health.server.close();
    await running.close();
    await closeQueues(queues);
    await connection.quit();
    await prisma.$disconnect();
    await pool.end();
    log.info("worker stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err: unknown) => {
  jsonLogger.error("worker failed to start", { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
