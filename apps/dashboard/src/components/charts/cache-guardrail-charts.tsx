"use client";
// Cache savings (dollars saved as bars, hit rate as a line on its own axis) and guardrail hits over time,
// stacked by route. Same axes, grid and palette as the spend chart.
import {
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { SERIES_COLORS } from "./palette.ts";

const tick = { fontSize: 11, fill: "#71717a" };

function bucketLabel(granularity: "hour" | "day") {
  return (t: string) =>
    granularity === "hour"
      ? new Date(t).toLocaleString("en-GB", { day: "numeric", month: "short", hour: "2-digit" })
      : new Date(t).toLocaleDateString("en-GB", { day: "numeric", month: "short" });
}

const dollars = (v: number) => `$${v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(0)}`;

export function CacheSavingsChart({
  points,
  granularity,
}: {
  points: Array<{ t: string; savedUsd: number; hitRate: number }>;
  granularity: "hour" | "day";
}) {
  const fmt = bucketLabel(granularity);
  return (
    <div className="h-64 w-full" data-testid="cache-savings-chart">
      <ResponsiveContainer>
        <ComposedChart data={points} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid stroke="#f4f4f5" vertical={false} />
          <XAxis dataKey="t" tickFormatter={fmt} tick={tick} tickLine={false} axisLine={false} minTickGap={24} />
          <YAxis yAxisId="usd" tick={tick} tickLine={false} axisLine={false} width={56} tickFormatter={dollars} />
          <YAxis
            yAxisId="rate"
            orientation="right"
            domain={[0, 1]}
            tick={tick}
            tickLine={false}
            axisLine={false}
            width={44}
            tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
          />
          <Tooltip
            labelFormatter={(t) => fmt(String(t))}
            formatter={(v, name) =>
              name === "hit rate" ? `${(Number(v) * 100).toFixed(1)}%` : `$${Number(v).toFixed(4)}`
            }
            contentStyle={{ borderRadius: 8, fontSize: 12 }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar
            yAxisId="usd"
            isAnimationActive={false}
            dataKey="savedUsd"
            name="cost saved"
            fill={SERIES_COLORS[1]}
            fillOpacity={0.6}
            radius={[3, 3, 0, 0]}
            maxBarSize={24}
          />
          <Line
            yAxisId="rate"
            isAnimationActive={false}
            type="monotone"
            dataKey="hitRate"
            name="hit rate"
            stroke={SERIES_COLORS[0]}
            strokeWidth={2}
            dot={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

export function GuardrailHitsChart({
  points,
  series,
  granularity,
}: {
  points: Array<Record<string, number | string>>;
  series: string[];
  granularity: "hour" | "day";
}) {
  const fmt = bucketLabel(granularity);
  return (
    <div className="h-64 w-full" data-testid="guardrail-hits-chart">
      <ResponsiveContainer>
        <BarChart data={points} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid stroke="#f4f4f5" vertical={false} />
          <XAxis dataKey="t" tickFormatter={fmt} tick={tick} tickLine={false} axisLine={false} minTickGap={24} />
          <YAxis tick={tick} tickLine={false} axisLine={false} width={44} allowDecimals={false} />
          <Tooltip labelFormatter={(t) => fmt(String(t))} contentStyle={{ borderRadius: 8, fontSize: 12 }} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {series.map((s, i) => (
            <Bar
              key={s}
              isAnimationActive={false}
              dataKey={s}
              stackId="1"
              fill={SERIES_COLORS[i % SERIES_COLORS.length]}
              maxBarSize={24}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
