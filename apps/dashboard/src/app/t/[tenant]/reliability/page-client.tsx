"use client";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { HBarChart } from "~/components/charts/bar-chart.tsx";
import { LinesChart } from "~/components/charts/line-chart.tsx";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { EmptyState, Skeleton } from "~/components/ui/states.tsx";
import { Table, Td, Th } from "~/components/ui/table.tsx";
import { ms, num, pct } from "~/lib/format.ts";
import { useTRPC } from "~/trpc/react.tsx";

const RANGES = { "24h": 1, "7d": 7, "30d": 30 } as const;

export function ReliabilityPageClient() {
  return (
    <RequireScope scope="logs:read">
      <Reliability />
    </RequireScope>
  );
}

function Reliability() {
  const t = useTenant();
  const trpc = useTRPC();
  const [range, setRange] = useState<keyof typeof RANGES>("7d");
  const r = useMemo(() => {
    const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
    return { from: new Date(to.getTime() - RANGES[range] * 86_400_000), to };
  }, [range]);
  const q = useQuery(trpc.costs.reliability.queryOptions({ tenantId: t.id, ...r }));
  const fmtT = (s: string) =>
    new Date(s).toLocaleString(
      "en-GB",
      range === "24h" ? { hour: "2-digit", minute: "2-digit" } : { day: "numeric", month: "short" },
    );
  return (
    <>
      <PageHeader
        title="Reliability"
        description="Latency percentiles by route from merged histograms, and how often requests fell back or failed."
        actions={
          <Select
            aria-label="Range"
            className="w-24"
            value={range}
            onChange={(e) => setRange(e.target.value as keyof typeof RANGES)}
          >
            {Object.keys(RANGES).map((k) => (
              <option key={k}>{k}</option>
            ))}
          </Select>
        }
      />
      {q.isPending ? (
        <Skeleton className="h-72" />
      ) : !q.data?.routes.length ? (
        <EmptyState title="No traffic in this range" />
      ) : (
        <div className="space-y-6">
          <Card title="Latency by route" description="p50 and p95, end to end.">
            <HBarChart
              testId="latency-chart"
              data={q.data.routes.map((x) => ({ label: x.routeName, p50: x.p50Ms ?? 0, p95: x.p95Ms ?? 0 }))}
              bars={[
                { key: "p50", label: "p50" },
                { key: "p95", label: "p95" },
              ]}
              format={(v) => ms(Math.round(v))}
            />
          </Card>
          <Card title="Fallback and error rates over time">
            <LinesChart
              testId="rates-chart"
              data={q.data.series}
              x="t"
              xFormat={fmtT}
              lines={[
                { key: "errorRate", label: "error rate" },
                { key: "fallbackRate", label: "fallback rate" },
              ]}
              format={(v) => pct(v)}
            />
          </Card>
          <Card title="By route" padded>
            <Table>
              <thead>
                <tr>
                  <Th>Route</Th>
                  <Th className="text-right">Requests</Th>
                  <Th className="text-right">p50</Th>
                  <Th className="text-right">p95</Th>
                  <Th className="text-right">Errors</Th>
                  <Th className="text-right">Fallbacks</Th>
                  <Th>Top error classes</Th>
                </tr>
              </thead>
              <tbody>
                {q.data.routes.map((x) => (
                  <tr key={x.routeName}>
                    <Td className="font-medium">{x.routeName}</Td>
                    <Td className="text-right tabular-nums">{num(x.requests)}</Td>
                    <Td className="text-right tabular-nums">{ms(x.p50Ms)}</Td>
                    <Td className="text-right tabular-nums">{ms(x.p95Ms)}</Td>
                    <Td className="text-right tabular-nums">{pct(x.errorRate)}</Td>
                    <Td className="text-right tabular-nums">{pct(x.fallbackRate)}</Td>
                    <Td className="text-xs text-zinc-600">
                      {Object.entries(x.errorsByClass)
                        .sort((a, b) => b[1] - a[1])
                        .slice(0, 3)
                        .map(([k, n]) => `${k} ${n}`)
                        .join(" · ") || "—"}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </Card>
        </div>
      )}
    </>
  );
}
