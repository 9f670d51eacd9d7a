"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo } from "react";
import { SpendChart } from "~/components/charts/spend-chart.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Card, Stat } from "~/components/ui/card.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { EmptyState, Skeleton } from "~/components/ui/states.tsx";
import { num, pct, usd } from "~/lib/format.ts";
import { useTRPC } from "~/trpc/react.tsx";

export function OverviewPageClient() {
  const t = useTenant();
  const trpc = useTRPC();
  const overview = useQuery(trpc.tenant.overview.queryOptions({ tenantId: t.id }));
  const range = useMemo(() => {
    const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
    return { from: new Date(to.getTime() - 14 * 86_400_000), to };
  }, []);
  const spend = useQuery({
    ...trpc.costs.overTime.queryOptions({ tenantId: t.id, ...range, groupBy: "routeName" }),
    enabled: t.can("costs:read"),
  });
  const w = overview.data?.week;
  return (
    <>
      <PageHeader title={t.name} description={`Signed in as ${t.role}. The last 7 days at a glance.`} />
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        {overview.isPending ? (
          Array.from({ length: 4 }, (_, i) => <Skeleton key={i} className="h-24" />)
        ) : (
          <>
            <Stat
              label="Requests (7 d)"
              value={num(w?.requests)}
              hint={`${pct(w && w.requests ? w.successes / w.requests : null)} succeeded`}
            />
            <Stat
              label="Spend (7 d)"
              value={usd(w?.costMicros, 2)}
              hint={w && w.successes ? `${usd(Number(w.costMicros) / w.successes)} per success` : "no successes yet"}
            />
            <Stat
              label="Fallback rate"
              value={pct(w && w.requests ? w.fallbacks / w.requests : null)}
              hint={`${num(w?.errors)} errors`}
            />
            <Stat
              label="Open reviews"
              value={num(overview.data?.openReviews)}
              hint={`${num(overview.data?.routes)} routes · ${num(overview.data?.keys)} active keys`}
            />
          </>
        )}
      </div>
      {t.can("costs:read") ? (
        <Card
          className="mt-6"
          title="Spend by route"
          description="Last 14 days, from the rollups."
          actions={
            <Link className="text-xs font-medium text-brand-600" href={`${t.base}/costs`}>
              Cost dashboard →
            </Link>
          }
        >
          {spend.isPending ? (
            <Skeleton className="h-72" />
          ) : spend.data && spend.data.points.length ? (
            <SpendChart points={spend.data.points} series={spend.data.series} granularity={spend.data.granularity} />
          ) : (
            <EmptyState title="No traffic yet">
              Send a request through the proxy with a key from this tenant; spend appears after the next rollup.
            </EmptyState>
          )}
        </Card>
      ) : null}
    </>
  );
}
