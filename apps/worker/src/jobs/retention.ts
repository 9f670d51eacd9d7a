// Retention: per tenant, request logs older than retentionDays are deleted and bodies older than
// bodyRetentionDays are cleared; monthly partitions that every tenant's retention has passed are dropped
// (or detached) whole instead of row by row. Rollups are never touched: reports outlive raw logs.
//
// Nothing not yet rolled up is removed: the cutoff is also bounded by the rollup watermark minus its lag,
// so a worker that was down for a while rolls logs up before they go.
import type { Pool } from "pg";
import { DEFAULT_LAG_MS, readWatermark, ROLLUP_STATE_NAME } from "./rollup.ts";

const DAY_MS = 86_400_000;
/** Rows per statement: keeps each delete's locks and WAL burst small on a live table. */
const BATCH = 5_000;

export interface RetentionOptions {
  now: Date;
  tenantId?: string;
  /** Logs before this instant are rolled up; default: the rollup watermark minus the lag. */
  rolledUpBefore?: Date | null;
  batchSize?: number;
}

export interface RetentionResult {
  tenants: number;
  logsDeleted: number;
  bodiesCleared: number;
}

async function rolledUpCutoff(pool: Pool, given: Date | null | undefined): Promise<Date | null> {
  if (given !== undefined) return given;
  const wm = await readWatermark(pool, ROLLUP_STATE_NAME);
  return wm ? new Date(wm.getTime() - DEFAULT_LAG_MS) : null;
}

const minDate = (a: Date, b: Date | null) => (b && b < a ? b : a);

export async function runRetention(pool: Pool, opts: RetentionOptions): Promise<RetentionResult> {
  const rolledUp = await rolledUpCutoff(pool, opts.rolledUpBefore);
  const batch = opts.batchSize ?? BATCH;
  const tenants = await pool.query<{ id: string; retention_days: number; body_retention_days: number }>(
    "SELECT id, retention_days, body_retention_days FROM tenants WHERE ($1::text IS NULL OR id = $1) ORDER BY id",
    [opts.tenantId ?? null],
  );
  const result: RetentionResult = { tenants: tenants.rows.length, logsDeleted: 0, bodiesCleared: 0 };
  for (const t of tenants.rows) {
    if (rolledUp) {
      const cutoff = minDate(new Date(opts.now.getTime() - t.retention_days * DAY_MS), rolledUp);
      for (;;) {
        const r = await pool.query(
          `DELETE FROM request_logs WHERE (id, created_at) IN (
             SELECT id, created_at FROM request_logs WHERE tenant_id = $1 AND created_at < $2 LIMIT $3)`,
          [t.id, cutoff, batch],
        );
        result.logsDeleted += r.rowCount ?? 0;
        if ((r.rowCount ?? 0) < batch) break;
      }
    }
    // Bodies do not feed rollups, so their cutoff does not wait for the watermark.
    const bodyCutoff = new Date(opts.now.getTime() - Math.min(t.body_retention_days, t.retention_days) * DAY_MS);
    for (;;) {
      const r = await pool.query(
        `UPDATE request_logs SET request_body = NULL, response_body = NULL WHERE (id, created_at) IN (
           SELECT id, created_at FROM request_logs
           WHERE tenant_id = $1 AND created_at < $2 AND (request_body IS NOT NULL OR response_body IS NOT NULL) LIMIT $3)`,
        [t.id, bodyCutoff, batch],
      );
      result.bodiesCleared += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < batch) break;
    }
  }
  return result;
}

export interface PartitionRetentionResult {
  dropped: string[];
  detached: string[];
}

/**
 * Drops (or detaches, for operators who archive them) monthly partitions whose whole month is older than the
 * longest retention of any tenant and already rolled up. The default partition is never dropped.
 */
export async function dropExpiredPartitions(
  pool: Pool,
  opts: { now: Date; action?: "drop" | "detach"; rolledUpBefore?: Date | null },
): Promise<PartitionRetentionResult> {
  const rolledUp = await rolledUpCutoff(pool, opts.rolledUpBefore);
  const out: PartitionRetentionResult = { dropped: [], detached: [] };
  if (!rolledUp) return out;
  const maxRetention = await pool.query<{ days: number | null }>("SELECT max(retention_days) AS days FROM tenants");
  const days = maxRetention.rows[0]?.days ?? null;
  if (days === null) return out;
  const cutoff = minDate(new Date(opts.now.getTime() - days * DAY_MS), rolledUp);
  const parts = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE i.inhparent = 'public.request_logs'::regclass AND n.nspname = 'request_log_partitions'
       AND c.relname ~ '^request_logs_[0-9]{4}_[0-9]{2}$'
     ORDER BY c.relname`,
  );
  for (const { name } of parts.rows) {
    const [, y, m] = /^request_logs_(\d{4})_(\d{2})$/.exec(name) ?? [];
    const monthEnd = new Date(Date.UTC(Number(y), Number(m), 1)); // Date.UTC months are 0-based: this is the next month's start.
    if (monthEnd > cutoff) continue;
    if (opts.action === "detach") {
      await pool.query(`ALTER TABLE public.request_logs DETACH PARTITION request_log_partitions."${name}"`);
      out.detached.push(name);
    } else {
      await pool.query(`DROP TABLE request_log_partitions."${name}"`);
      out.dropped.push(name);
    }
  }
  return out;
}

/** Creates this month's and the next partitions (moving any default-partition rows into them). */
export async function ensurePartitions(pool: Pool, opts: { now: Date; monthsAhead: number }): Promise<number> {
  const r = await pool.query<{ created: number }>("SELECT gateway_ensure_request_log_partitions($1, $2) AS created", [
    opts.now,
    opts.monthsAhead,
  ]);
  return r.rows[0]?.created ?? 0;
}
