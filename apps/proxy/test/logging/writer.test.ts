// The request log writer against the real Postgres, through a relay the tests cut to play an outage.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getPrisma } from "@gateway/db";
import { serializeRow } from "../../src/logging/row.ts";
import { createRequestLogWriter, type RequestLogWriterOptions } from "../../src/logging/writer.ts";
import { startPgCutter, type PgCutter } from "../helpers/pg-cutter.ts";
import { makeRow } from "./fixtures/rows.ts";

const databaseUrl = process.env.DATABASE_URL!;
let db: pg.Pool;
let cutter: PgCutter;
let tenantId: string;
let journalDir: string;
const errors: string[] = [];

beforeAll(async () => {
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  cutter = await startPgCutter(databaseUrl);
});
afterAll(async () => {
  await cutter.close();
  await db.end();
});
beforeEach(async () => {
  cutter.restore();
  const slug = `log-writer-${randomUUID()}`;
  tenantId = (await getPrisma().tenant.create({ data: { slug, name: slug } })).id;
  journalDir = mkdtempSync(join(tmpdir(), "gw-journal-"));
  errors.length = 0;
});

function writer(over: Partial<RequestLogWriterOptions> = {}) {
  return createRequestLogWriter({
    databaseUrl: cutter.url,
    journalDir,
    flushIntervalMs: 20,
    maxRetryDelayMs: 50,
    closeTimeoutMs: 300,
    onError: (err, context) => errors.push(`${context}: ${err.message}`),
    ...over,
  });
}

async function countRows(): Promise<{ total: number; distinct: number }> {
  const r = await db.query<{ total: string; distinct: string }>(
    `SELECT count(*) AS total, count(DISTINCT id) AS distinct FROM request_logs WHERE tenant_id = $1`,
    [tenantId],
  );
  return { total: Number(r.rows[0]!.total), distinct: Number(r.rows[0]!.distinct) };
}

const journalFiles = () => readdirSync(journalDir).filter((n) => n.endsWith(".jsonl") && n.startsWith("rl-"));

describe("request log writer", () => {
  it("writes rows in batches with every column intact, BigInt cost included", async () => {
    const w = writer({ maxBatch: 100 });
    const rows = Array.from({ length: 250 }, () => makeRow(tenantId));
    for (const row of rows) w.enqueue(row);
    await w.flush();
    expect(await countRows()).toEqual({ total: 250, distinct: 250 });
    const stored = await db.query(`SELECT cost_micros::text AS cost, attempts, guardrail_findings, metadata, created_at FROM request_logs WHERE id = $1`, [rows[0]!.id]);
    expect(stored.rows[0]).toMatchObject({
      cost: "9007199254740993",
      attempts: rows[0]!.attempts,
      guardrail_findings: rows[0]!.guardrailFindings,
      metadata: { team: "support" },
      created_at: rows[0]!.createdAt,
    });
    expect(w.stats()).toMatchObject({ queued: 0, journaled: 0, written: 250, lagMs: 0, oldestQueuedAt: null });
    await w.close();
  });

  it("is idempotent on the request id: the same row queued twice is stored once", async () => {
    const w = writer();
    const row = makeRow(tenantId);
    w.enqueue(row);
    await w.flush();
    w.enqueue({ ...row });
    w.enqueue({ ...row });
    await w.flush();
    expect(await countRows()).toEqual({ total: 1, distinct: 1 });
    // A duplicate is not an error: nothing set aside, nothing reported.
    expect(w.stats().rejected).toBe(0);
    expect(errors).toEqual([]);
    await w.close();
  });

  it("flushes on its own, without flush() being called", async () => {
    const w = writer();
    w.enqueue(makeRow(tenantId));
    await vi.waitFor(async () => expect((await countRows()).total).toBe(1), { timeout: 10_000, interval: 20 });
    await w.close();
  });

  it("a burst while Postgres is unreachable: after it returns, exactly N rows, no duplicates", async () => {
    const w = writer({ maxBatch: 50 });
    cutter.cut();
    for (let i = 0; i < 400; i++) w.enqueue(makeRow(tenantId));
    await vi.waitFor(() => expect(w.stats().failedBatches).toBeGreaterThan(0), { timeout: 10_000, interval: 10 });
    expect(w.stats().queued).toBe(400);
    expect(w.stats().oldestQueuedAt).toBeInstanceOf(Date);
    await expect(w.flush()).rejects.toThrow();
    expect(await countRows()).toEqual({ total: 0, distinct: 0 });

    cutter.restore();
    await w.flush();
    expect(await countRows()).toEqual({ total: 400, distinct: 400 });
    expect(w.stats()).toMatchObject({ queued: 0, journaled: 0 });
    await w.close();
  });

  it("past the memory bound rows go to the on-disk journal, and are replayed exactly once when Postgres returns", async () => {
    const w = writer({ maxMemoryRows: 40, maxBatch: 25 });
    cutter.cut();
    for (let i = 0; i < 300; i++) w.enqueue(makeRow(tenantId));
    await vi.waitFor(() => expect(w.stats().queued).toBeLessThanOrEqual(40), { timeout: 10_000, interval: 10 });
    const s = w.stats();
    expect(s.queued + s.journaled).toBe(300);
    expect(s.journaled).toBeGreaterThan(0);
    const onDisk = journalFiles().reduce((n, f) => n + readFileSync(join(journalDir, f), "utf8").trim().split("\n").length, 0);
    expect(onDisk).toBe(s.journaled);

    cutter.restore();
    await w.flush();
    expect(await countRows()).toEqual({ total: 300, distinct: 300 });
    expect(journalFiles()).toEqual([]);
    expect(w.stats()).toMatchObject({ queued: 0, journaled: 0 });
    await w.close();
  });

  it("a journal left by a crashed process is replayed by the next writer at start, torn last line set aside", async () => {
    cutter.cut();
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures/crash-writer.ts"), cutter.url, journalDir, tenantId, "120"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const journaled = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /journaled (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on("exit", (code) => reject(new Error(`crash-writer exited early (${code})`)));
    });
    const exited = new Promise((r) => child.on("exit", r));
    child.kill("SIGKILL");
    await exited;
    expect(journaled).toBeGreaterThan(100);
    const files = journalFiles();
    expect(files.length).toBeGreaterThan(0);
    appendFileSync(join(journalDir, files.at(-1)!), '{"id":"req_torn","createdAt":"2026-');

    cutter.restore();
    const w = writer();
    await w.flush();
    expect(await countRows()).toEqual({ total: journaled, distinct: journaled });
    expect(journalFiles()).toEqual([]);
    expect(readdirSync(journalDir).filter((n) => n.endsWith(".unreadable"))).toHaveLength(1);
    expect(errors.some((e) => e.includes("unreadable"))).toBe(true);
    await w.close();
  });

  it("leaves the journal of a live writer process alone, and adopts it once that process is gone", async () => {
    const other = spawn(process.execPath, ["-e", "setInterval(() => {}, 60000)"], { stdio: "ignore" });
    const rows = [makeRow(tenantId), makeRow(tenantId)];
    const name = `rl-${String(Date.now()).padStart(15, "0")}-${other.pid}-0.jsonl`;
    appendFileSync(join(journalDir, name), rows.map((r) => serializeRow(r)).join("\n") + "\n");

    const w = writer({ orphanScanIntervalMs: 20 });
    await w.flush();
    expect(await countRows()).toEqual({ total: 0, distinct: 0 });
    expect(journalFiles()).toEqual([name]);

    const exited = new Promise((r) => other.on("exit", r));
    other.kill("SIGKILL");
    await exited;
    await vi.waitFor(async () => expect((await countRows()).total).toBe(2), { timeout: 10_000, interval: 20 });
    expect(journalFiles()).toEqual([]);
    await w.close();
  });

  it("close() drains everything in memory to Postgres", async () => {
    const w = writer({ flushIntervalMs: 60_000, maxBatch: 10_000 });
    for (let i = 0; i < 120; i++) w.enqueue(makeRow(tenantId));
    await w.close();
    expect(await countRows()).toEqual({ total: 120, distinct: 120 });
    expect(w.stats()).toMatchObject({ queued: 0, journaled: 0 });
  });

  it("close() with Postgres down journals what is left; the next writer writes it", async () => {
    const w = writer({ flushIntervalMs: 60_000 });
    cutter.cut();
    for (let i = 0; i < 30; i++) w.enqueue(makeRow(tenantId));
    await w.close();
    expect(w.stats()).toMatchObject({ queued: 0, journaled: 30 });
    w.enqueue(makeRow(tenantId)); // a request that finished after close(): straight to the journal
    expect(w.stats().journaled).toBe(31);

    cutter.restore();
    const next = writer();
    await next.flush();
    expect(await countRows()).toEqual({ total: 31, distinct: 31 });
    await next.close();
  });

  it("a row Postgres refuses does not hold back the others: it is set aside on disk", async () => {
    const w = writer();
    const bad = makeRow(tenantId, { requestedModel: null as unknown as string });
    for (const row of [makeRow(tenantId), bad, makeRow(tenantId)]) w.enqueue(row);
    await w.flush();
    expect(await countRows()).toEqual({ total: 2, distinct: 2 });
    expect(w.stats().rejected).toBe(1);
    const rejectedFiles = readdirSync(journalDir).filter((n) => n.startsWith("rejected-"));
    expect(rejectedFiles).toHaveLength(1);
    expect(readFileSync(join(journalDir, rejectedFiles[0]!), "utf8")).toContain(bad.id);
    await w.close();
  });
});
