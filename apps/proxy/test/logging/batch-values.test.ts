// The writer sends a batch as one array per column: every kind of value must come back from Postgres exactly
// as it went in, including strings that mean something in an array literal (quotes, backslashes, braces,
// commas, the word NULL) and real nulls next to them in the same batch.
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPrisma } from "@gateway/db";
import { createRequestLogWriter } from "../../src/logging/writer.ts";
import { makeRow } from "./fixtures/rows.ts";

const databaseUrl = process.env.DATABASE_URL!;
let db: pg.Pool;
let tenantId: string;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const slug = `log-values-${randomUUID()}`;
  tenantId = (await getPrisma().tenant.create({ data: { slug, name: slug } })).id;
});
afterAll(async () => {
  await db.end();
});

const awkward = ['say "hi"', "back\\slash", "{braces}", "a,b", "NULL", "", "line\nbreak", "emoji 🙂", "tab\there"];

describe("request log batches", () => {
  it("every column round-trips, awkward strings and nulls included", async () => {
    const w = createRequestLogWriter({ databaseUrl, journalDir: mkdtempSync(join(tmpdir(), "gw-journal-")), flushIntervalMs: 20, onError: (err) => { throw err; } });
    const rows = awkward.map((s, i) =>
      makeRow(tenantId, {
        routeName: s,
        endUser: i % 2 ? null : s,
        workflow: `${s}-wf`,
        errorCode: i % 3 ? null : s,
        fallbackUsed: i % 2 === 0,
        ttftMs: i % 2 ? 12 : null,
        costMicros: BigInt(i) * 1_000_000_007n,
        metadata: i % 2 ? null : { note: s, n: i },
        requestBody: { messages: [{ role: "user", content: s }] },
        responseBody: i % 2 ? null : { text: s },
        guardrailFindings: i % 2 ? null : [{ kind: "email", count: i, action: "redact", stage: "input" }],
      }),
    );
    rows.push(makeRow(tenantId, { routeName: "nul\u0000here", attempts: [] }));
    for (const r of rows) w.enqueue(r);
    await w.close();
    const stored = await db.query(
      `SELECT id, route_name, end_user, workflow, error_code, fallback_used, ttft_ms, cost_micros::text AS cost, metadata, request_body, response_body, guardrail_findings, attempts, created_at, route_version
         FROM request_logs WHERE tenant_id = $1`,
      [tenantId],
    );
    const byId = new Map(stored.rows.map((r) => [r.id as string, r]));
    expect(byId.size).toBe(rows.length);
    for (const r of rows.slice(0, -1)) {
      expect(byId.get(r.id)).toEqual({
        id: r.id,
        route_name: r.routeName,
        end_user: r.endUser,
        workflow: r.workflow,
        error_code: r.errorCode,
        fallback_used: r.fallbackUsed,
        ttft_ms: r.ttftMs,
        cost: r.costMicros.toString(),
        metadata: r.metadata,
        request_body: r.requestBody,
        response_body: r.responseBody,
        guardrail_findings: r.guardrailFindings,
        attempts: r.attempts,
        created_at: r.createdAt,
        route_version: r.routeVersion,
      });
    }
    expect(byId.get(rows.at(-1)!.id)).toMatchObject({ route_name: "nul\uFFFDhere", attempts: [] });
  });
});
