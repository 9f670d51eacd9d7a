import type { Job } from "bullmq";
import type { WorkerDeps } from "../deps.ts";
import { deliverAlertEvent } from "../jobs/alert-delivery.ts";
import { evaluateAlerts, pendingEventIds } from "../jobs/alerts.ts";
import { ALERT_DELIVERY_ATTEMPTS, enqueueAlertDelivery, parsePayload, QueueName } from "../queues.ts";

export async function processAlertsEvaluate(deps: WorkerDeps, job: Job): Promise<unknown> {
  const p = parsePayload(QueueName.AlertsEvaluate, job.data);
  const now = deps.now();
  const r = await evaluateAlerts(deps.prisma, { now, tenantId: p.tenantId });
  for (const bad of r.invalidRules) deps.log.error("alert rule has invalid params", bad);
  // Every pending event of the last day, not only new ones: a crash between insert and enqueue must not
  // strand an event. The job id is the event id, so an event already queued is not queued twice.
  for (const id of await pendingEventIds(deps.prisma, new Date(), p.tenantId))
    await enqueueAlertDelivery(deps.queues, id);
  return { rules: r.rules, created: r.created.length };
}

export async function processAlertDelivery(deps: WorkerDeps, job: Job): Promise<unknown> {
  const p = parsePayload(QueueName.AlertDelivery, job.data);
  const r = await deliverAlertEvent(deps.prisma, p.eventId, {
    maxAttempts: job.opts.attempts ?? ALERT_DELIVERY_ATTEMPTS,
  });
  if (r.outcome === "failed") {
    // Thrown so BullMQ retries with backoff; the attempt is already recorded in alert_deliveries.
    throw new Error(`alert ${p.eventId} attempt ${r.attempt} failed: ${r.error}`);
  }
  if (r.outcome === "dead_letter")
    deps.log.error("alert delivery dead-lettered", { eventId: p.eventId, attempt: r.attempt, error: r.error });
  return r;
}
