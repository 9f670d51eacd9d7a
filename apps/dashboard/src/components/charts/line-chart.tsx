"use client";
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { SERIES_COLORS } from "./palette.ts";

const tick = { fontSize: 11, fill: "#71717a" };

export function LinesChart({
  data,
  x,
  lines,
  format,
  xFormat,
  reference,
  testId,
}: {
  data: Array<Record<string, string | number | null>>;
  x: string;
  lines: Array<{ key: string; label: string; dashed?: boolean }>;
  format: (v: number) => string;
  xFormat?: (v: string) => string;
  reference?: { y: number; label: string };
  testId?: string;
}) {
  return (
    <div className="h-64 w-full" data-testid={testId}>
      <ResponsiveContainer>
        <LineChart data={data} margin={{ top: 8, right: 16, left: 0, bottom: 0 }}>
          <CartesianGrid stroke="#f4f4f5" vertical={false} />
          <XAxis dataKey={x} tick={tick} tickLine={false} axisLine={false} tickFormatter={xFormat} minTickGap={20} />
          <YAxis
            tick={tick}
            tickLine={false}
            axisLine={false}
            width={60}
            tickFormatter={(v: number) => format(v)}
            domain={reference ? [0, (dataMax: number) => Math.max(dataMax, reference.y) * 1.05] : undefined}
          />
          <Tooltip
            formatter={(v) => format(Number(v))}
            labelFormatter={(l) => (xFormat ? xFormat(String(l)) : String(l))}
            contentStyle={{ borderRadius: 8, fontSize: 12 }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {reference ? (
            <ReferenceLine
              y={reference.y}
              stroke="#ef4444"
              strokeDasharray="4 4"
              label={{ value: reference.label, fontSize: 11, fill: "#ef4444", position: "insideTopRight" }}
            />
          ) : null}
          {lines.map((l, i) => (
            <Line
              key={l.key}
              isAnimationActive={false}
              type="monotone"
              dataKey={l.key}
              name={l.label}
              stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
              strokeWidth={2}
              dot={false}
              strokeDasharray={l.dashed ? "5 4" : undefined}
              connectNulls
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
