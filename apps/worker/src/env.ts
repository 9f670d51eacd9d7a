// The worker's environment, validated once; nothing else reads process.env.
import { z } from "zod";

const envSchema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required"),
  REDIS_URL: z.string().min(1, "REDIS_URL is required"),
  /** Decrypts webhook signing secrets. */
  GATEWAY_SECRET_KEY: z.string().min(16, "GATEWAY_SECRET_KEY must be at least 16 characters"),
  WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(4020),
  /** BullMQ key prefix: separate deployments sharing one Redis need different ones. */
  WORKER_QUEUE_PREFIX: z.string().min(1).default("gateway"),
  /** How often the incremental rollup and the alert evaluation run (the demo shortens it). */
  ROLLUP_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  /** How late a log may be written after its timestamp and still be caught by the minute rollup. */
  ROLLUP_LAG_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(10),
  /** `detach` keeps expired monthly partitions as standalone tables for archiving instead of dropping them. */
  RETENTION_PARTITION_ACTION: z.enum(["drop", "detach"]).default("drop"),
});
export type WorkerEnv = z.infer<typeof envSchema>;

export function loadEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  const r = envSchema.safeParse(source);
  if (!r.success) {
    throw new Error(
      `invalid worker environment: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  return r.data;
}
