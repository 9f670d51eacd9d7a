// Spend per budget window, read from the rollup tables (never raw request logs).
import type { PrismaClient } from "@gateway/db";
import { budgetWindow, type BudgetPeriod } from "@gateway/policy/budget";

export interface BudgetSubject {
  scope: "tenant" | "app" | "key" | "route" | "model";
  appId: string | null;
  apiKeyId: string | null;
  routeName: string | null;
  period: BudgetPeriod;
}

export function rollupFilter(tenantId: string, b: BudgetSubject) {
  return {
    tenantId,
    ...(b.scope === "app" && b.appId ? { appId: b.appId } : {}),
    ...(b.scope === "key" && b.apiKeyId ? { apiKeyId: b.apiKeyId } : {}),
    ...(b.scope === "route" && b.routeName ? { routeName: b.routeName } : {}),
  };
}

/** Spend so far in the current window and daily spend across it, for burn-down charts and forecasts. */
export async function budgetBurn(db: PrismaClient, tenantId: string, timeZone: string, b: BudgetSubject, now = new Date()) {
  const window = budgetWindow(b.period, now, timeZone);
  const from = window.startsAt ?? new Date(now.getTime() - 90 * 86_400_000);
  const to = window.resetsAt ?? now;
  const rows = await db.rollupHourly.groupBy({
    by: ["bucketStart"],
    where: { ...rollupFilter(tenantId, b), bucketStart: { gte: from, lt: now } },
    _sum: { costMicros: true },
    orderBy: { bucketStart: "asc" },
  });
  const byDay = new Map<string, bigint>();
  for (const r of rows) {
    const day = r.bucketStart.toISOString().slice(0, 10);
    byDay.set(day, (byDay.get(day) ?? 0n) + (r._sum.costMicros ?? 0n));
  }
  const spent = [...byDay.values()].reduce((a, v) => a + v, 0n);
  const elapsed = Math.max(now.getTime() - from.getTime(), 3_600_000);
  const span = to.getTime() - from.getTime();
  // Straight-line forecast: the window's spend rate so far, carried to the window's end.
  const forecast = window.resetsAt ? BigInt(Math.round((Number(spent) * span) / elapsed)) : spent;
  return { window, from, to, spent, forecast, byDay: [...byDay.entries()].map(([day, micros]) => ({ day, micros })) };
}
