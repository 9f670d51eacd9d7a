// Where a budget window's spend comes from when Redis no longer has it: the request logs, which record the
// cost of every request (failed attempts included) whatever happened to Redis.
import type { BudgetRule } from "@gateway/policy/budget";

export interface SpendQuery {
  tenantId: string;
  budget: BudgetRule;
  /** Window bounds; null for a total budget (every log of the scope counts). */
  startsAt: Date | null;
  endsAt: Date | null;
}

/** Sum of cost_micros of the requests a budget covers in a window. */
export type SpendSource = (q: SpendQuery) => Promise<bigint>;

/** Anything with pg's `query` (a Pool or a Client). */
export interface SqlQueryable {
  query(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Spend from Postgres' request_logs. Uses the (tenant_id, created_at) index and, for key scope, the
 * (api_key_id, created_at) one; only the window's monthly partitions are read.
 */
export function pgSpendSource(db: SqlQueryable): SpendSource {
  return async ({ tenantId, budget, startsAt, endsAt }) => {
    const params: unknown[] = [tenantId, startsAt, endsAt];
    let scopeFilter = "";
    if (budget.scope === "app") {
      params.push(budget.appId);
      scopeFilter = "AND app_id = $4";
    } else if (budget.scope === "key") {
      params.push(budget.apiKeyId);
      scopeFilter = "AND api_key_id = $4";
    } else if (budget.scope === "route") {
      params.push(budget.routeId);
      scopeFilter = "AND route_id = $4";
    } else if (budget.scope !== "tenant") {
      return 0n;
    }
    const { rows } = await db.query(
      `SELECT coalesce(sum(cost_micros), 0)::text AS spent FROM request_logs
        WHERE tenant_id = $1
          AND ($2::timestamptz IS NULL OR created_at >= $2::timestamptz)
          AND ($3::timestamptz IS NULL OR created_at < $3::timestamptz)
          ${scopeFilter}`,
      params,
    );
    return BigInt(String(rows[0]?.spent ?? "0"));
  };
}
