// Every queue the worker runs: its name, the zod schema of its payload and the type map that ties them
// together. Jobs carry ids and options, never bodies: a job can be retried or replayed days later and
// must read the current state from Postgres.
import { Queue, type ConnectionOptions, type JobsOptions } from "bullmq";
import { z } from "zod";

export const QueueName = {
  Rollup: "rollup",
  AlertsEvaluate: "alerts-evaluate",
  AlertDelivery: "alert-delivery",
  Retention: "retention",
  PartitionMaintenance: "partition-maintenance",
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const payloadSchemas = {
  [QueueName.Rollup]: z.object({
    mode: z.enum(["incremental", "reconcile"]).default("incremental"),
    tenantId: z.string().min(1).optional(),
  }),
  [QueueName.AlertsEvaluate]: z.object({ tenantId: z.string().min(1).optional() }),
  [QueueName.AlertDelivery]: z.object({ eventId: z.string().min(1) }),
  [QueueName.Retention]: z.object({ tenantId: z.string().min(1).optional() }),
  [QueueName.PartitionMaintenance]: z.object({ monthsAhead: z.number().int().min(1).max(24).default(3) }),
} satisfies Record<QueueName, z.ZodType>;

export type PayloadOf<Q extends QueueName> = z.input<(typeof payloadSchemas)[Q]>;
export type ParsedPayloadOf<Q extends QueueName> = z.output<(typeof payloadSchemas)[Q]>;

export function parsePayload<Q extends QueueName>(queue: Q, data: unknown): ParsedPayloadOf<Q> {
  const r = payloadSchemas[queue].safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(
      `invalid ${queue} job payload at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "unknown"}`,
    );
  }
  return r.data as ParsedPayloadOf<Q>;
}

/** Delivery retries: 6 attempts, 2s, 4s, 8s, ... apart; after the last one the event is dead-lettered. */
export const ALERT_DELIVERY_ATTEMPTS = 6;

export const defaultJobOptions: Record<QueueName, JobsOptions> = {
  [QueueName.Rollup]: { removeOnComplete: 100, removeOnFail: 500 },
  [QueueName.AlertsEvaluate]: { removeOnComplete: 100, removeOnFail: 500 },
  [QueueName.AlertDelivery]: {
    attempts: ALERT_DELIVERY_ATTEMPTS,
    backoff: { type: "exponential", delay: 2_000 },
    removeOnComplete: 1_000,
    removeOnFail: 5_000,
  },
  [QueueName.Retention]: { removeOnComplete: 30, removeOnFail: 100 },
  [QueueName.PartitionMaintenance]: { removeOnComplete: 30, removeOnFail: 100 },
};

export interface QueueSettings {
  connection: ConnectionOptions;
  /** BullMQ key prefix; tests make it unique so parallel runs never share queues. */
  prefix: string;
  /** Override per-queue job options (tests shorten the delivery backoff). */
  jobOptions?: Partial<Record<QueueName, JobsOptions>>;
}

export type Queues = { [Q in QueueName]: Queue<PayloadOf<Q>, unknown, string> };

export function createQueues(settings: QueueSettings): Queues {
  const make = <Q extends QueueName>(name: Q) =>
    new Queue<PayloadOf<Q>, unknown, string>(name, {
      connection: settings.connection,
      prefix: settings.prefix,
      defaultJobOptions: { ...defaultJobOptions[name], ...settings.jobOptions?.[name] },
    });
  return {
    [QueueName.Rollup]: make(QueueName.Rollup),
    [QueueName.AlertsEvaluate]: make(QueueName.AlertsEvaluate),
    [QueueName.AlertDelivery]: make(QueueName.AlertDelivery),
    [QueueName.Retention]: make(QueueName.Retention),
    [QueueName.PartitionMaintenance]: make(QueueName.PartitionMaintenance),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

/** Enqueue an alert event's delivery. The job id is the event id, so an event is queued at most once. */
export async function enqueueAlertDelivery(queues: Queues, eventId: string): Promise<void> {
  await queues[QueueName.AlertDelivery].add(QueueName.AlertDelivery, { eventId }, { jobId: `event-${eventId}` });
}
