// The worker's public surface for other workspaces (dashboard "recompute" buttons, scripts, tests).
export {
  QueueName,
  payloadSchemas,
  createQueues,
  closeQueues,
  enqueueAlertDelivery,
  type Queues,
  type PayloadOf,
} from "./queues.ts";
export {
  runRollup,
  recomputeTenantHours,
  ROLLUP_STATE_NAME,
  type RollupOptions,
  type RollupResult,
} from "./jobs/rollup.ts";
export { evaluateAlerts, alertParamsSchemas } from "./jobs/alerts.ts";
export { deliverAlertEvent, signBody, webhookBody, SIGNATURE_HEADER, EVENT_ID_HEADER } from "./jobs/alert-delivery.ts";
export { runRetention, dropExpiredPartitions, ensurePartitions } from "./jobs/retention.ts";
