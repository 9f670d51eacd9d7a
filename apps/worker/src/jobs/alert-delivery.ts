// Delivers one alert event to its rule's webhook: Slack-compatible JSON, signed with the rule's secret,
// every attempt recorded in alert_deliveries. The event row is locked for the attempt and re-read first,
// so an event already delivered (or dead-lettered) is never posted again, whichever worker retries it.
import { createHmac } from "node:crypto";
import { decryptSecret, type PrismaClient } from "@gateway/db";

export const SIGNATURE_HEADER = "x-gateway-signature";
export const EVENT_ID_HEADER = "x-gateway-event-id";
export const ATTEMPT_HEADER = "x-gateway-delivery-attempt";
const POST_TIMEOUT_MS = 10_000;

/** `sha256=<hex HMAC-SHA256 of the raw body>`; receivers recompute it over the bytes they received. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface WebhookBody {
  text: string;
  blocks: { type: "section"; text: { type: "mrkdwn"; text: string } }[];
  event: {
    id: string;
    kind: string;
    tenantId: string;
    ruleId: string | null;
    dedupeKey: string;
    createdAt: string;
    payload: unknown;
  };
}

/** The body is built from the stored event only, so every retry sends the same bytes and signature. */
export function webhookBody(ev: {
  id: string;
  kind: string;
  tenantId: string;
  ruleId: string | null;
  dedupeKey: string;
  createdAt: Date;
  payload: unknown;
}): string {
  const payload = (ev.payload ?? {}) as { message?: unknown; ruleName?: unknown };
  const message = typeof payload.message === "string" ? payload.message : `${ev.kind} alert`;
  const rule = typeof payload.ruleName === "string" ? ` (${payload.ruleName})` : "";
  const text = `[llm-gateway] ${message}${rule}`;
  const body: WebhookBody = {
    text,
    blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
    event: {
      id: ev.id,
      kind: ev.kind,
      tenantId: ev.tenantId,
      ruleId: ev.ruleId,
      dedupeKey: ev.dedupeKey,
      createdAt: ev.createdAt.toISOString(),
      payload: ev.payload,
    },
  };
  return JSON.stringify(body);
}

export type DeliveryOutcome =
  | { outcome: "delivered"; attempt: number }
  | { outcome: "failed"; attempt: number; error: string }
  | { outcome: "dead_letter"; attempt: number; error: string }
  | { outcome: "skipped"; status: string };

/** What a failed attempt records: never the URL (a Slack webhook URL is itself a secret). */
function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: unknown } }).cause;
    if (err.name === "TimeoutError") return `timeout after ${POST_TIMEOUT_MS} ms`;
    return typeof cause?.code === "string" ? `${err.name}: ${cause.code}` : err.name;
  }
  return "unknown error";
}

export async function deliverAlertEvent(
  db: PrismaClient,
  eventId: string,
  opts: { maxAttempts: number; fetchImpl?: typeof fetch },
): Promise<DeliveryOutcome> {
  const doFetch = opts.fetchImpl ?? fetch;
  return db.$transaction(
    async (tx) => {
      // The row lock serialises attempts on one event: a second worker waits, then sees `delivered`.
      const locked = await tx.$queryRawUnsafe<{ status: string }[]>(
        "SELECT status FROM alert_events WHERE id = $1 FOR UPDATE",
        eventId,
      );
      if (!locked[0]) return { outcome: "skipped", status: "missing" } as const;
      if (locked[0].status !== "pending") return { outcome: "skipped", status: locked[0].status } as const;

      const ev = await tx.alertEvent.findUniqueOrThrow({ where: { id: eventId }, include: { rule: true } });
      if (!ev.rule?.webhookUrl) {
        await tx.alertEvent.update({ where: { id: eventId }, data: { status: "no_webhook" } });
        return { outcome: "skipped", status: "no_webhook" } as const;
      }
      const attempt = (await tx.alertDelivery.count({ where: { eventId } })) + 1;
      const body = webhookBody(ev);
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "user-agent": "llm-gateway-worker",
        [EVENT_ID_HEADER]: ev.id,
        [ATTEMPT_HEADER]: String(attempt),
      };
      if (ev.rule.webhookSecretCiphertext)
        headers[SIGNATURE_HEADER] = signBody(body, decryptSecret(ev.rule.webhookSecretCiphertext));

      let responseStatus: number | null = null;
      let error: string | null = null;
      try {
        const res = await doFetch(ev.rule.webhookUrl, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(POST_TIMEOUT_MS),
        });
        responseStatus = res.status;
        // Drain so the connection is reused; the receiver's answer is not needed.
        await res.arrayBuffer();
        if (!res.ok) error = `webhook answered ${res.status}`;
      } catch (err) {
        // A network failure is an attempt outcome to record and retry, not an error of this job.
        error = describeError(err);
      }

      if (error === null) {
        await tx.alertDelivery.create({ data: { eventId, attempt, status: "delivered", responseStatus } });
        await tx.alertEvent.update({ where: { id: eventId }, data: { status: "delivered", deliveredAt: new Date() } });
        return { outcome: "delivered", attempt } as const;
      }
      if (attempt >= opts.maxAttempts) {
        await tx.alertDelivery.create({ data: { eventId, attempt, status: "dead_letter", responseStatus, error } });
        await tx.alertEvent.update({ where: { id: eventId }, data: { status: "dead_letter" } });
        return { outcome: "dead_letter", attempt, error } as const;
      }
      await tx.alertDelivery.create({ data: { eventId, attempt, status: "failed", responseStatus, error } });
      return { outcome: "failed", attempt, error } as const;
    },
    { timeout: POST_TIMEOUT_MS + 20_000, maxWait: 30_000 },
  );
}

/** Called when the queue gives up on a delivery job for another reason (crashes, stalls): no event stays pending forever. */
export async function deadLetterIfPending(db: PrismaClient, eventId: string, reason: string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const locked = await tx.$queryRawUnsafe<{ status: string }[]>(
      "SELECT status FROM alert_events WHERE id = $1 FOR UPDATE",
      eventId,
    );
    if (locked[0]?.status !== "pending") return false;
    const attempt = (await tx.alertDelivery.count({ where: { eventId } })) + 1;
    await tx.alertDelivery.create({ data: { eventId, attempt, status: "dead_letter", error: reason.slice(0, 500) } });
    await tx.alertEvent.update({ where: { id: eventId }, data: { status: "dead_letter" } });
    return true;
  });
}
