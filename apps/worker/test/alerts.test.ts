// Alerts end to end through BullMQ: rules evaluated against rollups, one event per period, delivered to a
// local webhook exactly once although the first attempt fails, with a verifiable signature.
import { createHmac, randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptSecret, getPrisma } from "@gateway/db";
import type { WorkerDeps } from "../src/deps.ts";
import { deliverAlertEvent } from "../src/jobs/alert-delivery.ts";
import { evaluateAlerts } from "../src/jobs/alerts.ts";
import { runRollup } from "../src/jobs/rollup.ts";
import { closeQueues, createQueues, QueueName, type Queues } from "../src/queues.ts";
import { registerWorkers, type RunningWorkers } from "../src/workers.ts";
import { at, createTenant, insertLogs, testPool } from "./helpers.ts";

const pool = testPool();
const prisma = getPrisma();

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver that answers the given statuses in turn (the last one repeats). */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(statuses[Math.min(received.length - 1, statuses.length - 1)]!);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>): Promise<T> {
  // A deadline for a hung test, not a speed assertion.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const HOUR = "2026-07-01T10:00:00Z";

async function seedFailingHour(tenantId: string): Promise<void> {
  await insertLogs(pool, tenantId, [
    { createdAt: at("2026-07-01T10:01:00Z"), costMicros: 100 },
    { createdAt: at("2026-07-01T10:02:00Z"), status: "error", errorCode: "upstream_error", costMicros: 50 },
    { createdAt: at("2026-07-01T10:03:00Z"), status: "error", errorCode: "upstream_timeout", costMicros: 50 },
  ]);
  await runRollup(pool, { now: at("2026-07-01T10:30:00Z"), tenantId, stateName: `test:${tenantId}` });
}

describe("alerts through the queue", () => {
  let connection: Redis;
  let queues: Queues;
  let running: RunningWorkers;
  const prefix = `test-worker-${randomUUID()}`;
  let now = at("2026-07-01T10:30:00Z");

  beforeAll(() => {
    connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
    queues = createQueues({
      connection,
      prefix,
      jobOptions: { [QueueName.AlertDelivery]: { attempts: 4, backoff: { type: "exponential", delay: 50 } } },
    });
    const deps: WorkerDeps = {
      pool,
      prisma,
      queues,
      log: { info: () => {}, error: () => {} },
      now: () => now,
      rollupLagMs: 600_000,
      partitionAction: "drop",
    };
    running = registerWorkers(deps, { connection, prefix });
  });

  afterAll(async () => {
    await running.close();
    await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true })));
    await closeQueues(queues);
    await connection.quit();
    await pool.end();
  });

  it("delivers an error-rate alert exactly once despite a failed first attempt, signed", async () => {
    const tenantId = await createTenant(pool);
    await seedFailingHour(tenantId);
    const hook = await receiver([500, 200]);
    const secret = "whsec_test_0123456789";
    const rule = await prisma.alertRule.create({
      data: {
        tenantId,
        name: "errors",
        kind: "error_rate",
        params: { threshold: 0.5, windowMinutes: 60, minRequests: 3 },
        webhookUrl: hook.url,
        webhookSecretCiphertext: encryptSecret(secret),
      },
    });

    await queues[QueueName.AlertsEvaluate].add("alerts-evaluate", { tenantId });
    const event = await until("delivery", async () => {
      const ev = await prisma.alertEvent.findFirst({ where: { tenantId, status: "delivered" } });
      return ev;
    });
    expect(event.ruleId).toBe(rule.id);
    expect(event.dedupeKey).toBe(`${rule.id}:all routes:${HOUR.replace("Z", ".000Z")}`);

    // Evaluating again in the same period, and retrying the delivery by hand, changes nothing.
    now = at("2026-07-01T10:45:00Z");
    const job = await queues[QueueName.AlertsEvaluate].add("alerts-evaluate", { tenantId });
    await until("second evaluation", async () => (await job.getState()) === "completed");
    expect(await deliverAlertEvent(prisma, event.id, { maxAttempts: 4 })).toEqual({
      outcome: "skipped",
      status: "delivered",
    });
    expect(await prisma.alertEvent.count({ where: { tenantId } })).toBe(1);

    expect(hook.received).toHaveLength(2);
    const deliveries = await prisma.alertDelivery.findMany({
      where: { eventId: event.id },
      orderBy: { attempt: "asc" },
    });
    expect(deliveries.map((d) => [d.attempt, d.status, d.responseStatus])).toEqual([
      [1, "failed", 500],
      [2, "delivered", 200],
    ]);
    expect(deliveries[0]!.error).toBe("webhook answered 500");

    for (const r of hook.received) {
      expect(r.headers["x-gateway-event-id"]).toBe(event.id);
      const expected = `sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`;
      expect(r.headers["x-gateway-signature"]).toBe(expected);
    }
    // Both attempts carried the same bytes, so a receiver can de-duplicate on the event id.
    expect(hook.received[0]!.body).toBe(hook.received[1]!.body);
    const body = JSON.parse(hook.received[1]!.body);
    expect(body.text).toContain("Error rate on all routes is 66.7%");
    expect(body.blocks[0].type).toBe("section");
    expect(body.event).toMatchObject({ id: event.id, kind: "error_rate", tenantId, ruleId: rule.id });
    expect(JSON.stringify(body)).not.toContain(secret);
    hook.server.close();
  });

  it("dead-letters an event after the last failed attempt and never posts it again", async () => {
    const tenantId = await createTenant(pool);
    await seedFailingHour(tenantId);
    const hook = await receiver([503]);
    await prisma.alertRule.create({
      data: {
        tenantId,
        name: "fallbacks",
        kind: "error_rate",
        params: { threshold: 0.1, minRequests: 1 },
        webhookUrl: hook.url,
      },
    });
    const r = await evaluateAlerts(prisma, { now: at("2026-07-01T10:30:00Z"), tenantId });
    expect(r.created).toHaveLength(1);
    const id = r.created[0]!.id;
    expect(await deliverAlertEvent(prisma, id, { maxAttempts: 3 })).toMatchObject({ outcome: "failed", attempt: 1 });
    expect(await deliverAlertEvent(prisma, id, { maxAttempts: 3 })).toMatchObject({ outcome: "failed", attempt: 2 });
    expect(await deliverAlertEvent(prisma, id, { maxAttempts: 3 })).toMatchObject({
      outcome: "dead_letter",
      attempt: 3,
    });
    expect(await deliverAlertEvent(prisma, id, { maxAttempts: 3 })).toEqual({
      outcome: "skipped",
      status: "dead_letter",
    });
    expect(hook.received).toHaveLength(3);
    // Unsigned without a secret.
    expect(hook.received[0]!.headers["x-gateway-signature"]).toBeUndefined();
    const ev = await prisma.alertEvent.findUniqueOrThrow({
      where: { id },
      include: { deliveries: { orderBy: { attempt: "asc" } } },
    });
    expect(ev.status).toBe("dead_letter");
    expect(ev.deliveries.map((d) => d.status)).toEqual(["failed", "failed", "dead_letter"]);
    hook.server.close();
  });

  it("raises budget, fallback, latency and spend-spike alerts once per period", async () => {
    const tenantId = await createTenant(pool);
    await insertLogs(pool, tenantId, [
      {
        createdAt: at("2026-07-01T10:01:00Z"),
        costMicros: 600_000,
        latencyMs: 3_000,
        routeName: "slow",
        fallbackUsed: true,
      },
      { createdAt: at("2026-07-01T10:02:00Z"), costMicros: 300_000, latencyMs: 200, routeName: "fast" },
      { createdAt: at("2026-06-25T10:02:00Z"), costMicros: 10_000, latencyMs: 200, routeName: "fast" },
    ]);
    await runRollup(pool, { now: at("2026-07-01T10:30:00Z"), tenantId, stateName: `test:${tenantId}` });
    const budget = await prisma.budget.create({
      data: { tenantId, name: "july", scope: "tenant", period: "month", limitMicros: 1_000_000n, softThresholdPct: 80 },
    });
    await prisma.alertRule.createMany({
      data: [
        { tenantId, name: "soft", kind: "budget_soft_threshold", params: { budgetId: budget.id } },
        { tenantId, name: "spent", kind: "budget_exhausted", params: {} },
        { tenantId, name: "fb", kind: "fallback_rate", params: { threshold: 0.25, minRequests: 2 } },
        { tenantId, name: "p95", kind: "p95_latency", params: { threshold: 1_000, minRequests: 1 } },
        { tenantId, name: "spike", kind: "spend_spike", params: { threshold: 3, minSpendMicros: 100_000 } },
        { tenantId, name: "broken", kind: "error_rate", params: { threshold: 7 } },
      ],
    });
    const first = await evaluateAlerts(prisma, { now: at("2026-07-01T10:30:00Z"), tenantId });
    expect(first.invalidRules.map((r) => r.error)).toEqual(["threshold: Too big: expected number to be <=1"]);
    const events = await prisma.alertEvent.findMany({ where: { tenantId }, include: { rule: true } });
    expect(events.map((e) => e.rule!.name).sort()).toEqual(["fb", "p95", "soft", "spike"]);
    expect(events.every((e) => e.status === "no_webhook")).toBe(true);
    const p95 = events.find((e) => e.rule!.name === "p95")!;
    expect((p95.payload as { subject: string }).subject).toBe("slow");

    const again = await evaluateAlerts(prisma, { now: at("2026-07-01T10:59:00Z"), tenantId });
    expect(again.created).toHaveLength(0);
    // A new hour is a new period for rate alerts; the budget stays alerted for the month.
    const nextHour = await evaluateAlerts(prisma, { now: at("2026-07-01T11:05:00Z"), tenantId });
    expect(nextHour.created.length).toBeGreaterThan(0);
    const kinds = await prisma.alertEvent.groupBy({ by: ["kind"], where: { tenantId }, _count: true });
    expect(kinds.find((k) => k.kind === "budget_soft_threshold")!._count).toBe(1);
  });
});
