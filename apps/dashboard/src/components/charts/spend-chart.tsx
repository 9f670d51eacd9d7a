"use client";
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { SERIES_COLORS } from "./palette.ts";

const tick = { fontSize: 11, fill: "#71717a" };

export function SpendChart({
  points,
  series,
  granularity,
}: {
  points: Array<Record<string, number | string>>;
  series: string[];
  granularity: "hour" | "day";
}) {
  const fmt = (t: string) =>
    granularity === "hour"
      ? new Date(t).toLocaleString("en-GB", { day: "numeric", month: "short", hour: "2-digit" })
      : new Date(t).toLocaleDateString("en-GB", { day: "numeric", month: "short" });
  return (
    <div className="h-72 w-full" data-testid="spend-chart">
      <ResponsiveContainer>
        <AreaChart data={points} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid stroke="#f4f4f5" vertical={false} />
          <XAxis dataKey="t" tickFormatter={fmt} tick={tick} tickLine={false} axisLine={false} minTickGap={24} />
          <YAxis
            tick={tick}
            tickLine={false}
            axisLine={false}
            width={56}
            tickFormatter={(v: number) => `$${v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(0)}`}
          />
          <Tooltip
            labelFormatter={(t) => fmt(String(t))}
            formatter={(v) => `$${Number(v).toFixed(4)}`}
            contentStyle={{ borderRadius: 8, fontSize: 12 }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {series.map((s, i) => (
            <Area
              key={s}
              isAnimationActive={false}
              type="monotone"
              dataKey={s}
              stackId="1"
              stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
              fill={SERIES_COLORS[i % SERIES_COLORS.length]}
              fillOpacity={0.25}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
