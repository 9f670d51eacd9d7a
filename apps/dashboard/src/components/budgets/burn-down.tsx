"use client";
import { LinesChart } from "~/components/charts/line-chart.tsx";

interface Burn {
  from: Date;
  to: Date;
  spent: bigint;
  forecast: bigint;
  byDay: Array<{ day: string; micros: bigint }>;
}

/** Cumulative spend per day across the budget window, a straight-line forecast to its end, and the limit. */
export function BurnDown({ burn, limitMicros, now = new Date() }: { burn: Burn; limitMicros: bigint; now?: Date }) {
  const days: Array<Record<string, string | number | null>> = [];
  const spentByDay = new Map(burn.byDay.map((d) => [d.day, Number(d.micros) / 1e6]));
  const start = new Date(burn.from);
  const end = new Date(burn.to);
  const today = now.toISOString().slice(0, 10);
  const totalDays = Math.max(1, Math.round((end.getTime() - start.getTime()) / 86_400_000));
  const spent = Number(burn.spent) / 1e6;
  const forecast = Number(burn.forecast) / 1e6;
  let cum = 0;
  let todayIndex = 0;
  for (let i = 0; i <= Math.min(totalDays, 120); i++) {
    const d = new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    const past = d <= today;
    if (past) {
      cum += spentByDay.get(d) ?? 0;
      todayIndex = i;
    }
    days.push({ day: d, actual: past ? Number(cum.toFixed(6)) : null, forecast: null });
  }
  const remainingDays = Math.max(1, days.length - 1 - todayIndex);
  for (let i = todayIndex; i < days.length; i++) {
    const row = days[i];
    if (row) row.forecast = Number((spent + ((forecast - spent) * (i - todayIndex)) / remainingDays).toFixed(6));
  }
  const fmt = (v: number) => `$${v >= 100 ? v.toFixed(0) : v.toFixed(2)}`;
  return (
    <LinesChart
      testId="burn-down-chart"
      data={days}
      x="day"
      xFormat={(d) => new Date(d).toLocaleDateString("en-GB", { day: "numeric", month: "short" })}
      lines={[
        { key: "actual", label: "Spent" },
        { key: "forecast", label: "Forecast", dashed: true },
      ]}
      format={fmt}
      reference={{ y: Number(limitMicros) / 1e6, label: "limit" }}
    />
  );
}
