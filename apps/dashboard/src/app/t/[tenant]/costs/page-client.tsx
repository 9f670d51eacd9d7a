"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { BurnDown } from "~/components/budgets/burn-down.tsx";
import { HBarChart } from "~/components/charts/bar-chart.tsx";
import { CacheSavingsChart, GuardrailHitsChart } from "~/components/charts/cache-guardrail-charts.tsx";
import { SpendChart } from "~/components/charts/spend-chart.tsx";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card, Stat } from "~/components/ui/card.tsx";
import { Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { EmptyState, ErrorNote, Skeleton } from "~/components/ui/states.tsx";
import { Table, Td, Th } from "~/components/ui/table.tsx";
import { num, pct, usd } from "~/lib/format.ts";
import { useTRPC } from "~/trpc/react.tsx";

const RANGES = { "24h": 1, "7d": 7, "30d": 30, "90d": 90 } as const;

export function CostsPageClient() {
  return (
    <RequireScope scope="costs:read">
      <Costs />
    </RequireScope>
  );
}

function Costs() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [range, setRange] = useState<keyof typeof RANGES>("7d");
  const [groupBy, setGroupBy] = useState<"routeName" | "appId" | "model">("routeName");
  const [exportError, setExportError] = useState<Error | null>(null);
  const r = useMemo(() => {
    const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
    return { from: new Date(to.getTime() - RANGES[range] * 86_400_000), to };
  }, [range]);
  const input = { tenantId: t.id, ...r };
  const over = useQuery(trpc.costs.overTime.queryOptions({ ...input, groupBy }));
  const perSuccess = useQuery(trpc.costs.perSuccess.queryOptions(input));
  const top = useQuery(trpc.costs.topSpenders.queryOptions({ ...input, by: "apiKeyId" }));
  const burn = useQuery(trpc.costs.burnDown.queryOptions({ tenantId: t.id }));
  const cg = useQuery(trpc.costs.cacheGuardrails.queryOptions(input));

  async function exportCsv() {
    setExportError(null);
    try {
      const csv = await qc.fetchQuery(trpc.costs.exportCsv.queryOptions(input));
      const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `costs-${t.slug}-${range}.csv`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      setExportError(err as Error);
    }
  }

  const totals = perSuccess.data?.reduce(
    (a, x) => ({
      cost: a.cost + Number(x.costMicros),
      successes: a.successes + x.successes,
      requests: a.requests + x.requests,
    }),
    { cost: 0, successes: 0, requests: 0 },
  );

  return (
    <>
      <PageHeader
        title="Costs"
        description="All spend — failed attempts and retries included — and what each successful result really cost."
        actions={
          <>
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
            {t.can("costs:export") ? (
              <Button variant="secondary" onClick={exportCsv} data-testid="export-csv">
                Export CSV
              </Button>
            ) : null}
          </>
        }
      />
      <ErrorNote error={exportError} />
      <div className="mb-6 grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="Spend" value={totals ? usd(totals.cost, 2) : "—"} />
        <Stat label="Requests" value={num(totals?.requests)} />
        <Stat label="Successful results" value={num(totals?.successes)} />
        <Stat label="Cost per success" value={totals && totals.successes ? usd(totals.cost / totals.successes) : "—"} />
      </div>
      <Card
        title="Spend over time"
        actions={
          <Select
            aria-label="Group by"
            className="w-32"
            value={groupBy}
            onChange={(e) => setGroupBy(e.target.value as typeof groupBy)}
          >
            <option value="routeName">by route</option>
            <option value="appId">by app</option>
            <option value="model">by model</option>
          </Select>
        }
      >
        {over.isPending ? (
          <Skeleton className="h-72" />
        ) : over.data?.points.length ? (
          <SpendChart points={over.data.points} series={over.data.series} granularity={over.data.granularity} />
        ) : (
          <EmptyState title="No spend in this range" />
        )}
      </Card>
      <div className="mt-6 grid gap-6 xl:grid-cols-2">
        <Card
          title="Cost per successful result"
          description="By route and model. Failed attempts count towards the cost."
        >
          {perSuccess.isPending ? (
            <Skeleton className="h-48" />
          ) : perSuccess.data?.length ? (
            <HBarChart
              testId="cost-per-success-chart"
              data={perSuccess.data
                .slice(0, 10)
                .map((x) => ({ label: `${x.routeName} · ${x.model}`, perSuccess: (x.perSuccessMicros ?? 0) / 1e6 }))}
              bars={[{ key: "perSuccess", label: "per success" }]}
              format={(v) => `$${v.toFixed(4)}`}
            />
          ) : (
            <EmptyState title="No results yet" />
          )}
        </Card>
        <Card title="Top spenders" description="Keys by spend in the range.">
          {top.isPending ? (
            <Skeleton className="h-48" />
          ) : top.data?.length ? (
            <HBarChart
              testId="top-spenders-chart"
              data={top.data.map((x) => ({ label: x.label, cost: Number(x.costMicros) / 1e6 }))}
              bars={[{ key: "cost", label: "spend" }]}
              format={(v) => `$${v.toFixed(2)}`}
            />
          ) : (
            <EmptyState title="No spend yet" />
          )}
        </Card>
      </div>
      <h2 className="mt-8 mb-3 text-sm font-semibold">Caching and guardrails</h2>
      <div className="mb-6 grid grid-cols-2 gap-3 lg:grid-cols-4" data-testid="cache-guardrail-totals">
        <Stat label="Saved by the cache" value={cg.data ? usd(cg.data.totals.costSavedMicros, 2) : "—"} />
        <Stat label="Cache hits" value={num(cg.data?.totals.cacheHits)} />
        <Stat
          label="Cache hit rate"
          value={pct(cg.data?.totals.cacheHitRate)}
          hint={cg.data ? `of ${num(cg.data.totals.requests)} requests` : undefined}
        />
        <Stat label="Guardrail hits" value={num(cg.data?.totals.guardrailHits)} hint="requests with a finding" />
      </div>
      <ErrorNote error={cg.error} />
      <div className="grid gap-6 xl:grid-cols-2">
        <Card
          title="Cache savings"
          description="What cache hits (exact and semantic) would have cost upstream, and the share of requests they answered."
        >
          {cg.isPending ? (
            <Skeleton className="h-64" />
          ) : cg.data?.totals.cacheHits ? (
            <CacheSavingsChart points={cg.data.savings} granularity={cg.data.granularity} />
          ) : (
            <EmptyState title="No cache hits in this range">
              Set a cache TTL or turn on the semantic cache on a route to answer repeated prompts without a call.
            </EmptyState>
          )}
        </Card>
        <Card
          title="Guardrail hits"
          description="Requests where an input or output guardrail found something (blocked, redacted or logged), by route."
        >
          {cg.isPending ? (
            <Skeleton className="h-64" />
          ) : cg.data?.guardrailPoints.length ? (
            <GuardrailHitsChart
              points={cg.data.guardrailPoints}
              series={cg.data.guardrailSeries}
              granularity={cg.data.granularity}
            />
          ) : (
            <EmptyState title="No guardrail hits in this range">
              Guardrails (PII, banned patterns, prompt injection) are set per route.
            </EmptyState>
          )}
        </Card>
      </div>
      <Card className="mt-6" title="Cost per success, in detail" padded>
        <Table>
          <thead>
            <tr>
              <Th>Route</Th>
              <Th>Model</Th>
              <Th className="text-right">Requests</Th>
              <Th className="text-right">Successes</Th>
              <Th className="text-right">Spend</Th>
              <Th className="text-right">Per success</Th>
              <Th className="text-right">Per accepted</Th>
            </tr>
          </thead>
          <tbody>
            {perSuccess.data?.map((x) => (
              <tr key={`${x.routeName}/${x.model}`}>
                <Td>{x.routeName}</Td>
                <Td>{x.model}</Td>
                <Td className="text-right tabular-nums">{num(x.requests)}</Td>
                <Td className="text-right tabular-nums">{num(x.successes)}</Td>
                <Td className="text-right tabular-nums">{usd(x.costMicros)}</Td>
                <Td className="text-right tabular-nums">{usd(x.perSuccessMicros)}</Td>
                <Td className="text-right tabular-nums">{usd(x.perAcceptedMicros)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </Card>
      <h2 className="mt-8 mb-3 text-sm font-semibold">Budget burn-down</h2>
      {burn.isPending ? (
        <Skeleton className="h-64" />
      ) : !burn.data?.length ? (
        <EmptyState title="No budgets">Budgets are set on the Budgets page.</EmptyState>
      ) : (
        <div className="grid gap-6 xl:grid-cols-2">
          {burn.data.map((b) => (
            <Card
              key={b.id}
              title={b.name}
              description={`${usd(b.burn.spentMicros, 2)} of ${usd(b.limitMicros, 2)} this ${b.period}${b.burn.forecastMicros !== null ? ` · forecast ${usd(b.burn.forecastMicros, 2)}` : ""} · on overspend: ${b.action}`}
            >
              <BurnDown burn={b.burn} />
            </Card>
          ))}
        </div>
      )}
    </>
  );
}
