// Rollup and report benchmark: fills a scratch database (created here, dropped at the end) with a realistic
// month of request logs across tenants, routes and models, times the rollup (rows/s) and then every report
// query the dashboard runs, which read rollups only.
//
//   npx tsx bench/rollup/run.ts [--rows 1000000] [--tenants 10] [--days 30] [--keep]
//
// Needs DATABASE_URL (any database on the server; the scratch one sits next to it).
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { applyMigrations, createPrisma } from "@gateway/db";
import {
  budgetBurnDown,
  costOverTime,
  costPerSuccess,
  latencyByRoute,
  reliability,
  toCsv,
  topSpenders,
} from "@gateway/db/reports";
import { runRollup } from "@gateway/worker/jobs/rollup";
import pg from "pg";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    tenants: { type: "string", default: "10" },
    days: { type: "string", default: "30" },
    keep: { type: "boolean", default: false },
  },
});
const ROWS = Number(args.rows);
const TENANTS = Number(args.tenants);
const DAYS = Number(args.days);
if (!Number.isInteger(ROWS) || ROWS < 1) throw new Error("--rows must be a positive integer");
if (!Number.isInteger(TENANTS) || TENANTS < 1) throw new Error("--tenants must be a positive integer");
if (!Number.isInteger(DAYS) || DAYS < 1) throw new Error("--days must be a positive integer");

const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) throw new Error("DATABASE_URL is not set");
const dbName = `gateway_bench_${process.pid}`;
const scratch = new URL(baseUrl);
scratch.pathname = `/${dbName}`;
const scratchUrl = scratch.toString();

const isTty = process.stdout.isTTY;
function progress(line: string): void {
  if (isTty) process.stdout.write(`\r\x1b[2K${line}`);
  else console.log(line);
}
function done(line: string): void {
  if (isTty) process.stdout.write(`\r\x1b[2K${line}\n`);
  else console.log(line);
}
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const MODELS = ["gpt-4o-mini", "gpt-4o", "claude-3-5-haiku", "claude-sonnet-4", "gemini-2.0-flash", "llama-3.1-70b"];
const ROUTES = [
  "support-summary",
  "ticket-triage",
  "code-review",
  "sales-email",
  "search-answer",
  "doc-extract",
  "chat-assist",
  "translate",
];
const sqlArray = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x}'`).join(",")}]`;

/** One chunk of synthetic logs: skewed tenants and routes, lognormal latency, ~93% success. */
const INSERT_CHUNK_SQL = `
WITH src AS (
  SELECT g,
    floor(power(random(), 1.5) * $3)::int AS t,
    floor(random() * 3)::int AS app, floor(random() * 2)::int AS env, floor(random() * 5)::int AS k,
    -- Each key mostly calls three routes of its app, as real applications do.
    floor(power(random(), 2) * 3)::int AS route_pick,
    random() AS u_status, random() AS u_code, random() AS u_fallback, random() AS u_cache, random() AS u_stream,
    random() AS u_wf,
    $4::timestamptz - random() * ($5::int * interval '1 day') AS created_at,
    greatest(1, exp(ln(600) + 0.7 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::int AS latency,
    (50 + random() * 2000)::int AS input_tokens, (10 + random() * 600)::int AS output_tokens
  FROM generate_series($1::bigint, $2::bigint) g
), routed AS (
  SELECT *, (app * 3 + k + route_pick) % ${ROUTES.length} AS route FROM src
), shaped AS (
  SELECT *,
    CASE WHEN u_status < 0.93 THEN 'success' WHEN u_status < 0.97 THEN 'error' ELSE 'rejected' END AS status,
    u_fallback < 0.04 AND u_status < 0.97 AS fallback,
    u_cache < 0.08 AND u_status < 0.93 AS cache_hit,
    (route + CASE WHEN u_fallback < 0.04 THEN 1 ELSE 0 END) % ${MODELS.length} AS model_idx
  FROM routed
)
INSERT INTO request_logs (id, created_at, tenant_id, app_id, environment, api_key_id, route_name, route_version, workflow,
  requested_model, final_model, provider, status, http_status, error_code, retry_count, fallback_used,
  input_tokens, output_tokens, cached_tokens, cost_micros, cost_saved_micros, latency_ms, ttft_ms, stream, cache_hit)
SELECT 'req_' || g, created_at, 't_' || lpad(t::text, 3, '0'),
  'app_' || t || '_' || app, (ARRAY['production','staging'])[1 + env], 'key_' || t || '_' || app || '_' || k,
  (${sqlArray(ROUTES)})[1 + route], 1 + (g % 3)::int,
  CASE WHEN route % 4 < 3 AND u_wf < 0.7 THEN (ARRAY['onboarding','billing','escalation'])[1 + route % 4] END,
  (${sqlArray(ROUTES)})[1 + route], (${sqlArray(MODELS)})[1 + model_idx], 'openai',
  status,
  CASE status WHEN 'success' THEN 200 WHEN 'error' THEN 502 ELSE 429 END,
  CASE status WHEN 'success' THEN NULL
    WHEN 'error' THEN (ARRAY['upstream_error','upstream_timeout','no_healthy_target','output_validation_failed'])[1 + floor(u_code * 4)::int]
    ELSE (ARRAY['rate_limit_exceeded','budget_exceeded'])[1 + floor(u_code * 2)::int] END,
  CASE WHEN status = 'error' OR fallback THEN 1 ELSE 0 END,
  fallback,
  CASE WHEN status = 'rejected' THEN 0 ELSE input_tokens END,
  CASE WHEN status = 'success' THEN output_tokens ELSE 0 END,
  CASE WHEN cache_hit THEN input_tokens ELSE 0 END,
  CASE WHEN status = 'rejected' OR cache_hit THEN 0
    ELSE (input_tokens::bigint * (ARRAY[150000,2500000,800000,3000000,100000,600000])[1 + model_idx]
        + CASE WHEN status = 'success' THEN output_tokens::bigint ELSE 0 END * (ARRAY[600000,10000000,4000000,15000000,400000,600000])[1 + model_idx]) / 1000000
        * CASE WHEN fallback THEN 2 ELSE 1 END END,
  CASE WHEN cache_hit THEN (input_tokens::bigint * 150000 + output_tokens::bigint * 600000) / 1000000 ELSE 0 END,
  CASE WHEN status = 'rejected' THEN 1 + (latency % 5) WHEN cache_hit THEN 2 + (latency % 20) ELSE latency END,
  CASE WHEN u_stream < 0.5 AND status <> 'rejected' THEN greatest(1, latency / 4) END,
  u_stream < 0.5,
  CASE WHEN cache_hit THEN 'exact' ELSE 'none' END
FROM shaped`;

interface Timed {
  name: string;
  rows: number;
  firstMs: number;
  bestMs: number;
}

async function timeQuery(name: string, fn: () => Promise<unknown[]> | Promise<unknown>): Promise<Timed> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await fn();
    times.push(performance.now() - t0);
    rows = Array.isArray(r) ? r.length : r === null ? 0 : 1;
  }
  return { name, rows, firstMs: times[0]!, bestMs: Math.min(...times) };
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  console.log(`scratch database ${dbName}: ${fmt(ROWS)} rows, ${TENANTS} tenants, ${DAYS} days`);
  const pool = new pg.Pool({ connectionString: scratchUrl, max: 4 });
  const prisma = createPrisma(scratchUrl, { max: 2 });
  try {
    await applyMigrations(scratchUrl);
    const now = new Date();
    // Monthly partitions as in production, covering the generated days.
    await pool.query("SELECT gateway_ensure_request_log_partitions($1, $2)", [
      new Date(now.getTime() - DAYS * 86_400_000),
      Math.ceil(DAYS / 28) + 2,
    ]);
    await pool.query(
      `INSERT INTO tenants (id, slug, name, updated_at)
       SELECT 't_' || lpad(i::text, 3, '0'), 'bench-' || i, 'Bench tenant ' || i, now() FROM generate_series(0, $1 - 1) i`,
      [TENANTS],
    );

    const chunk = 100_000;
    const t0 = performance.now();
    for (let start = 1; start <= ROWS; start += chunk) {
      const end = Math.min(start + chunk - 1, ROWS);
      await pool.query(INSERT_CHUNK_SQL, [start, end, TENANTS, now, DAYS]);
      const s = (performance.now() - t0) / 1000;
      progress(`generating logs: ${fmt(end)}/${fmt(ROWS)} (${fmt(end / s)} rows/s)`);
    }
    done(`generated ${fmt(ROWS)} logs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    progress("adding feedback to ~5% of successful requests...");
    const fb = await pool.query(
      `INSERT INTO feedback (id, tenant_id, request_id, api_key_id, action, request_at, created_at, updated_at)
       SELECT 'fb_' || id, tenant_id, id, api_key_id,
         (ARRAY['accepted','accepted','accepted','edited','regenerated','abandoned'])[1 + floor(random() * 6)::int]::"FeedbackAction",
         created_at, created_at + interval '2 minutes', created_at + interval '2 minutes'
       FROM request_logs WHERE status = 'success' AND random() < 0.05`,
    );
    done(`added ${fmt(fb.rowCount ?? 0)} feedback rows`);
    progress("VACUUM ANALYZE...");
    await pool.query("VACUUM ANALYZE request_logs");
    await pool.query("VACUUM ANALYZE feedback");
    done("VACUUM ANALYZE done");

    // Full rollup: the first run after installing, or a rebuild.
    const r0 = performance.now();
    const full = await runRollup(pool, {
      now,
      onProgress: (p) => {
        const s = (performance.now() - r0) / 1000;
        progress(
          `rollup: tenant ${p.tenantsDone}/${p.tenants}, ${fmt(p.hours)} hours, ${fmt(p.rows)} rows (${fmt(p.rows / s)} rows/s)`,
        );
      },
    });
    const fullS = (performance.now() - r0) / 1000;
    done(
      `full rollup: ${fmt(full.rowsRead)} rows in ${fullS.toFixed(1)} s = ${fmt(full.rowsRead / fullS)} rows/s ` +
        `(${fmt(full.hourlyUpserted)} hourly rows, ${fmt(full.dailyUpserted)} daily rows, ${fmt(full.hours)} tenant-hours)`,
    );

    // Steady state: a minute's traffic arrives, the minute job folds it in.
    const newRows = Math.max(1_000, Math.round(ROWS / (DAYS * 24 * 60)) * 10);
    const later = new Date(now.getTime() + 60_000);
    await pool.query(
      INSERT_CHUNK_SQL.replace("random() * ($5::int * interval '1 day')", "random() * ($5::int * interval '1 minute')"),
      [ROWS + 1, ROWS + newRows, TENANTS, later, 1],
    );
    const i0 = performance.now();
    const inc = await runRollup(pool, { now: later });
    const incS = (performance.now() - i0) / 1000;
    done(
      `minute rollup after ${fmt(newRows)} new logs: ${(incS * 1000).toFixed(0)} ms ` +
        `(${inc.hours} tenant-hours and their days recomputed from ${fmt(inc.rowsRead)} log rows)`,
    );
    const n0 = performance.now();
    const again = await runRollup(pool, { now: new Date(later.getTime() + 60_000) });
    done(
      `idempotent re-run: ${again.hourlyUpserted} hourly rows changed, ${((performance.now() - n0) / 1000).toFixed(2)} s`,
    );

    // Report queries for the busiest tenant over the generated month, the way the dashboard asks.
    const busiest = (
      await pool.query<{ tenant_id: string }>(
        "SELECT tenant_id FROM rollups_daily GROUP BY 1 ORDER BY sum(requests) DESC LIMIT 1",
      )
    ).rows[0]!.tenant_id;
    const hourlyRows = (
      await pool.query<{ n: string }>("SELECT count(*) AS n FROM rollups_hourly WHERE tenant_id = $1", [busiest])
    ).rows[0]!.n;
    const budget = await prisma.budget.create({
      data: { tenantId: busiest, name: "monthly", scope: "tenant", period: "month", limitMicros: 50_000_000_000n },
    });
    const to = new Date(Math.ceil(later.getTime() / 86_400_000) * 86_400_000);
    const month = { tenantId: busiest, from: new Date(to.getTime() - (DAYS + 1) * 86_400_000), to };
    const week = { tenantId: busiest, from: new Date(to.getTime() - 7 * 86_400_000), to };
    console.log(`\nreport queries for ${busiest} (${fmt(Number(hourlyRows))} hourly rollup rows), best of 3 runs:`);
    const results: Timed[] = [];
    const q = async (name: string, fn: () => Promise<unknown>) => {
      progress(`running ${name}...`);
      results.push(await timeQuery(name, fn as () => Promise<unknown[]>));
    };
    await q("costOverTime day, total", () => costOverTime(prisma, { ...month, granularity: "day", groupBy: null }));
    await q("costOverTime day by route", () =>
      costOverTime(prisma, { ...month, granularity: "day", groupBy: "route" }),
    );
    await q("costOverTime hour by model (7d)", () =>
      costOverTime(prisma, { ...week, granularity: "hour", groupBy: "model" }),
    );
    await q("costPerSuccess route x model", () => costPerSuccess(prisma, month));
    await q("latencyByRoute p50/p95/p99", () => latencyByRoute(prisma, month));
    await q("latencyByRoute (7d, hourly)", () =>
      latencyByRoute(prisma, { ...week, from: new Date(week.from.getTime() + 3_600_000) }),
    );
    await q("reliability by route", () => reliability(prisma, { ...month, groupBy: "route" }));
    await q("reliability by model", () => reliability(prisma, { ...month, groupBy: "model" }));
    await q("topSpenders by key", () => topSpenders(prisma, { ...month, by: "key" }));
    await q("topSpenders by app", () => topSpenders(prisma, { ...month, by: "app" }));
    await q("topSpenders by route", () => topSpenders(prisma, { ...month, by: "route" }));
    await q("budgetBurnDown month", () =>
      budgetBurnDown(prisma, { tenantId: busiest, budgetId: budget.id, now: later }),
    );
    await q("costPerSuccess -> CSV", async () => [toCsv(await costPerSuccess(prisma, month))]);
    done("");
    const w = Math.max(...results.map((r) => r.name.length));
    console.log(`${"query".padEnd(w)}  ${"rows".padStart(6)}  ${"first ms".padStart(9)}  ${"best ms".padStart(8)}`);
    for (const r of results) {
      console.log(
        `${r.name.padEnd(w)}  ${String(r.rows).padStart(6)}  ${r.firstMs.toFixed(1).padStart(9)}  ${r.bestMs.toFixed(1).padStart(8)}`,
      );
    }
  } finally {
    await prisma.$disconnect();
    await pool.end();
    if (args.keep) console.log(`kept ${scratchUrl}`);
    else {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      console.log(`dropped ${dbName}`);
    }
    await admin.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
