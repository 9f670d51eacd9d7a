"use client";
import type { BudgetBurnDown } from "@gateway/db/reports";
import { LinesChart } from "~/components/charts/line-chart.tsx";

const DAY = 86_400_000;

/** Cumulative spend across the budget period, a straight-line forecast to its end, and the limit. */
export function BurnDown({ burn, now = new Date() }: { burn: BudgetBurnDown; now?: Date }) {
  const hourly = burn.period === "day";
  const step = hourly ? 3_600_000 : DAY;
  const start = new Date(burn.periodStart).getTime();
  // A `total` budget has no end: draw from its first spend to now.
  const firstAt = burn.series[0] ? new Date(burn.series[0].at).getTime() : now.getTime() - 7 * DAY;
  const from = burn.periodEnd ? start : Math.max(start, firstAt);
  const end = burn.periodEnd ? new Date(burn.periodEnd).getTime() : now.getTime();
  const usd = (m: bigint) => Number(m) / 1e6;
  const points: Array<Record<string, string | number | null>> = [];
  let i = 0;
  let cum = 0;
  let lastPast = -1;
  for (let t = from; t <= end && points.length < 800; t += step) {
    while (i < burn.series.length && new Date(burn.series[i]!.at).getTime() <= t)
      cum = usd(burn.series[i++]!.cumulativeMicros);
    const past = t <= now.getTime();
    if (past) lastPast = points.length;
    points.push({ t: new Date(t).toISOString(), spent: past ? cum : null, forecast: null });
  }
  if (burn.forecastMicros !== null && lastPast >= 0) {
    const spent = usd(burn.spentMicros);
    const forecast = usd(burn.forecastMicros);
    const steps = Math.max(1, points.length - 1 - lastPast);
    for (let k = lastPast; k < points.length; k++)
      points[k]!.forecast = Number((spent + ((forecast - spent) * (k - lastPast)) / steps).toFixed(6));
  }
  const fmt = (v: number) => `$${v >= 100 ? v.toFixed(0) : v.toFixed(2)}`;
  return (
    <LinesChart
      testId="burn-down-chart"
      data={points}
      x="t"
      xFormat={(d) =>
        new Date(d).toLocaleString(
          "en-GB",
          hourly ? { hour: "2-digit", minute: "2-digit" } : { day: "numeric", month: "short" },
        )
      }
      lines={[
        { key: "spent", label: "Spent" },
        { key: "forecast", label: "Forecast", dashed: true },
      ]}
      format={fmt}
      reference={{ y: usd(burn.limitMicros), label: "limit" }}
    />
  );
}
