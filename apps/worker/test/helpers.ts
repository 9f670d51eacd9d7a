// Test fixtures: a fresh tenant per test and raw request-log inserts with exactly the fields a test cares about.
import { randomUUID } from "node:crypto";
import pg from "pg";

export function testPool(): pg.Pool {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  return new pg.Pool({ connectionString: url, max: 6 });
}

export async function createTenant(
  pool: pg.Pool,
  fields: { retentionDays?: number; bodyRetentionDays?: number; timeZone?: string } = {},
): Promise<string> {
  const id = `t_${randomUUID()}`;
  await pool.query(
    `INSERT INTO tenants (id, slug, name, time_zone, retention_days, body_retention_days, updated_at)
     VALUES ($1, $1, $1, $2, $3, $4, now())`,
    [id, fields.timeZone ?? "UTC", fields.retentionDays ?? 90, fields.bodyRetentionDays ?? 7],
  );
  return id;
}

export interface LogFields {
  id?: string;
  createdAt: Date;
  appId?: string;
  environment?: string;
  apiKeyId?: string;
  routeName?: string;
  workflow?: string | null;
  model?: string;
  status?: "success" | "error" | "rejected";
  errorCode?: string | null;
  costMicros?: number;
  costSavedMicros?: number;
  latencyMs?: number;
  ttftMs?: number | null;
  retryCount?: number;
  fallbackUsed?: boolean;
  cacheHit?: "none" | "exact" | "semantic";
  inputTokens?: number;
  outputTokens?: number;
  cachedTokens?: number;
  requestBody?: unknown;
  responseBody?: unknown;
}

export async function insertLogs(pool: pg.Pool, tenantId: string, logs: LogFields[]): Promise<string[]> {
  const ids: string[] = [];
  for (const l of logs) {
    const id = l.id ?? `req_${randomUUID()}`;
    ids.push(id);
    const status = l.status ?? "success";
    await pool.query(
      `INSERT INTO request_logs (id, created_at, tenant_id, app_id, environment, api_key_id, route_name, workflow,
         requested_model, final_model, status, http_status, error_code, cost_micros, cost_saved_micros, latency_ms,
         ttft_ms, retry_count, fallback_used, cache_hit, input_tokens, output_tokens, cached_tokens,
         request_body, response_body)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)`,
      [
        id,
        l.createdAt,
        tenantId,
        l.appId ?? "app_1",
        l.environment ?? "production",
        l.apiKeyId ?? "key_1",
        l.routeName ?? "support-summary",
        l.workflow ?? null,
        l.model ?? "gpt-4o-mini",
        status,
        status === "success" ? 200 : status === "rejected" ? 429 : 502,
        l.errorCode ?? null,
        l.costMicros ?? 0,
        l.costSavedMicros ?? 0,
        l.latencyMs ?? 100,
        l.ttftMs ?? null,
        l.retryCount ?? 0,
        l.fallbackUsed ?? false,
        l.cacheHit ?? "none",
        l.inputTokens ?? 0,
        l.outputTokens ?? 0,
        l.cachedTokens ?? 0,
        l.requestBody === undefined ? null : JSON.stringify(l.requestBody),
        l.responseBody === undefined ? null : JSON.stringify(l.responseBody),
      ],
    );
  }
  return ids;
}

export async function addFeedback(
  pool: pg.Pool,
  tenantId: string,
  requestId: string,
  requestAt: Date,
  action: string,
  at = new Date(),
): Promise<void> {
  await pool.query(
    `INSERT INTO feedback (id, tenant_id, request_id, api_key_id, action, request_at, created_at, updated_at)
     VALUES ($1, $2, $3, 'key_1', $4::"FeedbackAction", $5, $6, $6)
     ON CONFLICT (request_id) DO UPDATE SET action = EXCLUDED.action, updated_at = EXCLUDED.updated_at`,
    [`fb_${randomUUID()}`, tenantId, requestId, action, requestAt, at],
  );
}

/** Rollup rows of a tenant without updated_at, for comparing runs. */
export async function rollupRows(
  pool: pg.Pool,
  table: "rollups_hourly" | "rollups_daily",
  tenantId: string,
): Promise<Record<string, unknown>[]> {
  const r = await pool.query(
    `SELECT * FROM ${table} WHERE tenant_id = $1 ORDER BY bucket_start, app_id, environment, api_key_id, route_name, model, workflow`,
    [tenantId],
  );
  return r.rows.map((row: Record<string, unknown>) => {
    const { updated_at: _ignored, ...rest } = row;
    return rest;
  });
}

export function at(iso: string): Date {
  return new Date(iso);
}
