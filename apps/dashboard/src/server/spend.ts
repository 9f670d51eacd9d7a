// Budget spend for the dashboard, from the shared report queries over rollups (@gateway/db/reports).
import type { PrismaClient } from "@gateway/db";
import { budgetBurnDown, spendMicros, type BudgetBurnDown } from "@gateway/db/reports";
import { budgetWindow, type BudgetPeriod } from "@gateway/policy/budget";

export type { BudgetBurnDown };

/** Burn-down of one budget in its current period (the tenant's time zone), with a linear forecast. */
export async function budgetBurn(
  db: PrismaClient,
  tenantId: string,
  budgetId: string,
  now = new Date(),
): Promise<BudgetBurnDown> {
  const burn = await budgetBurnDown(db, { tenantId, budgetId, now });
  if (!burn) throw new Error(`budget ${budgetId} vanished while reading its burn-down`);
  return burn;
}

/**
 * Settled spend in the window the proxy would charge now, for the simulator: the window comes from the same
 * policy function the proxy uses, the spend from the rollups.
 */
export async function windowSpend(
  db: PrismaClient,
  q: {
    tenantId: string;
    timeZone: string;
    period: BudgetPeriod;
    scope: string;
    appId: string | null;
    apiKeyId: string | null;
    routeName: string | null;
    now: Date;
  },
): Promise<bigint> {
  const w = budgetWindow(q.period, q.now, q.timeZone);
  return spendMicros(db, {
    tenantId: q.tenantId,
    from: w.startsAt ?? new Date(0),
    to: q.now,
    appId: q.scope === "app" ? q.appId : null,
    apiKeyId: q.scope === "key" ? q.apiKeyId : null,
    routeName: q.scope === "route" ? q.routeName : null,
  });
}
