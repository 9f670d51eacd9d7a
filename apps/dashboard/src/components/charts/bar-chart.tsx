"use client";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { SERIES_COLORS } from "./palette.ts";

const tick = { fontSize: 11, fill: "#71717a" };

/** Horizontal bars: one row per label, any number of numeric series. */
export function HBarChart({
  data,
  bars,
  format,
  testId,
}: {
  data: Array<Record<string, string | number>>;
  bars: Array<{ key: string; label: string }>;
  format: (v: number) => string;
  testId?: string;
}) {
  const height = Math.max(160, data.length * (bars.length > 1 ? 44 : 32) + 40);
  return (
    <div style={{ height }} className="w-full" data-testid={testId}>
      <ResponsiveContainer>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, left: 8, bottom: 4 }}>
          <CartesianGrid stroke="#f4f4f5" horizontal={false} />
          <XAxis type="number" tick={tick} tickLine={false} axisLine={false} tickFormatter={(v: number) => format(v)} />
          <YAxis type="category" dataKey="label" tick={tick} tickLine={false} axisLine={false} width={150} />
          <Tooltip formatter={(v) => format(Number(v))} contentStyle={{ borderRadius: 8, fontSize: 12 }} />
          {bars.length > 1 ? <Legend wrapperStyle={{ fontSize: 12 }} /> : null}
          {bars.map((b, i) => (
            <Bar
              key={b.key}
              isAnimationActive={false}
              dataKey={b.key}
              name={b.label}
              fill={SERIES_COLORS[i % SERIES_COLORS.length]}
              radius={[0, 4, 4, 0]}
              maxBarSize={18}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
