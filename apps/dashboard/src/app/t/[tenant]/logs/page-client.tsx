"use client";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Dialog } from "~/components/ui/dialog.tsx";
import { Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { Table, Td, Th } from "~/components/ui/table.tsx";
import { dateTime, ms, num, usd } from "~/lib/format.ts";
import { useTRPC } from "~/trpc/react.tsx";

const RANGES = { "1h": 1 / 24, "24h": 1, "7d": 7, "30d": 30 } as const;

export function LogsPageClient() {
  return (
    <RequireScope scope="logs:read">
      <Logs />
    </RequireScope>
  );
}

function statusTone(s: string) {
  return s === "success" ? "green" : s === "rejected" ? "amber" : "red";
}

function Logs() {
  const t = useTenant();
  const trpc = useTRPC();
  const facets = useQuery(trpc.logs.facets.queryOptions({ tenantId: t.id }));
  const [range, setRange] = useState<keyof typeof RANGES>("24h");
  const [f, setF] = useState<{
    appId?: string;
    environment?: string;
    apiKeyId?: string;
    routeName?: string;
    model?: string;
    status?: "success" | "error" | "rejected";
    fallback?: boolean;
  }>({});
  const [open, setOpen] = useState<string | null>(null);
  const window = useMemo(() => {
    const to = new Date();
    return { from: new Date(to.getTime() - RANGES[range] * 86_400_000), to };
  }, [range]);
  const list = useInfiniteQuery(
    trpc.logs.list.infiniteQueryOptions(
      { tenantId: t.id, ...window, ...f, limit: 50 },
      { getNextPageParam: (p) => p.nextCursor ?? undefined },
    ),
  );
  const rows = list.data?.pages.flatMap((p) => p.rows) ?? [];
  const set = (k: keyof typeof f, v: string) =>
    setF((o) => ({ ...o, [k]: v === "" ? undefined : k === "fallback" ? v === "true" : v }));
  const keyName = new Map(facets.data?.keys.map((k) => [k.id, `${k.name}`]) ?? []);

  return (
    <>
      <PageHeader
        title="Requests"
        description="Every call through the proxy, newest first. Open one to see each attempt, tokens, cost and timings."
      />
      <Card padded>
        <div className="mb-4 grid grid-cols-2 gap-2 sm:grid-cols-4">
          <Select
            aria-label="Time range"
            value={range}
            onChange={(e) => setRange(e.target.value as keyof typeof RANGES)}
          >
            {Object.keys(RANGES).map((k) => (
              <option key={k} value={k}>
                last {k}
              </option>
            ))}
          </Select>
          <Select aria-label="App" value={f.appId ?? ""} onChange={(e) => set("appId", e.target.value)}>
            <option value="">all apps</option>
            {facets.data?.apps.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </Select>
          <Select
            aria-label="Environment"
            value={f.environment ?? ""}
            onChange={(e) => set("environment", e.target.value)}
          >
            <option value="">all envs</option>
            {facets.data?.environments.map((e) => (
              <option key={e}>{e}</option>
            ))}
          </Select>
          <Select aria-label="Key" value={f.apiKeyId ?? ""} onChange={(e) => set("apiKeyId", e.target.value)}>
            <option value="">all keys</option>
            {facets.data?.keys.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.prefix})
              </option>
            ))}
          </Select>
          <Select aria-label="Route" value={f.routeName ?? ""} onChange={(e) => set("routeName", e.target.value)}>
            <option value="">all routes</option>
            {facets.data?.routes.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </Select>
          <Select aria-label="Model" value={f.model ?? ""} onChange={(e) => set("model", e.target.value)}>
            <option value="">all models</option>
            {facets.data?.models.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </Select>
          <Select aria-label="Status" value={f.status ?? ""} onChange={(e) => set("status", e.target.value)}>
            <option value="">any status</option>
            <option value="success">success</option>
            <option value="error">error</option>
            <option value="rejected">rejected</option>
          </Select>
          <Select
            aria-label="Fallback"
            value={f.fallback === undefined ? "" : String(f.fallback)}
            onChange={(e) => set("fallback", e.target.value)}
          >
            <option value="">fallback: any</option>
            <option value="true">fell back</option>
            <option value="false">no fallback</option>
          </Select>
        </div>
        <ErrorNote error={list.error} />
        {list.isPending ? (
          <LoadingRows rows={8} />
        ) : rows.length === 0 ? (
          <EmptyState title="No requests match">Widen the time range or clear a filter.</EmptyState>
        ) : (
          <>
            <Table>
              <thead>
                <tr>
                  <Th>Time</Th>
                  <Th>Status</Th>
                  <Th>Route · model</Th>
                  <Th>Key</Th>
                  <Th className="text-right">Tokens in/out</Th>
                  <Th className="text-right">Cost</Th>
                  <Th className="text-right">Latency</Th>
                </tr>
              </thead>
              <tbody data-testid="logs-table">
                {rows.map((r) => (
                  <tr key={r.id} className="cursor-pointer hover:bg-zinc-50" onClick={() => setOpen(r.id)}>
                    <Td className="whitespace-nowrap text-zinc-600">{dateTime(r.createdAt)}</Td>
                    <Td>
                      <span className="inline-flex items-center gap-1">
                        <Badge tone={statusTone(r.status)}>{r.httpStatus}</Badge>
                        {r.fallbackUsed ? <Badge tone="amber">fallback</Badge> : null}
                        {r.cacheHit !== "none" ? <Badge tone="blue">cache</Badge> : null}
                      </span>
                    </Td>
                    <Td>
                      <div className="font-medium">{r.routeName ?? r.requestedModel}</div>
                      <div className="text-xs text-zinc-500">{r.finalModel ?? r.errorCode ?? "—"}</div>
                    </Td>
                    <Td className="text-xs text-zinc-600">
                      {r.apiKeyId ? (keyName.get(r.apiKeyId) ?? r.apiKeyId.slice(0, 8)) : "—"}
                    </Td>
                    <Td className="text-right tabular-nums">
                      {num(r.inputTokens)} / {num(r.outputTokens)}
                    </Td>
                    <Td className="text-right tabular-nums">{usd(r.costMicros)}</Td>
                    <Td className="text-right tabular-nums">{ms(r.latencyMs)}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
            {list.hasNextPage ? (
              <div className="flex justify-center pt-4">
                <Button variant="secondary" loading={list.isFetchingNextPage} onClick={() => list.fetchNextPage()}>
                  Load older requests
                </Button>
              </div>
            ) : null}
          </>
        )}
      </Card>
      <Dialog open={open !== null} onClose={() => setOpen(null)} title="Request" wide>
        {open ? <LogDetail id={open} /> : null}
      </Dialog>
    </>
  );
}

interface Attempt {
  target?: string;
  model?: string;
  provider?: string;
  status?: string | number;
  errorCode?: string | null;
  latencyMs?: number;
  costMicros?: number | string;
}

function LogDetail({ id }: { id: string }) {
  const t = useTenant();
  const trpc = useTRPC();
  const q = useQuery(trpc.logs.get.queryOptions({ tenantId: t.id, id }));
  if (q.isPending) return <LoadingRows />;
  if (q.error) return <ErrorNote error={q.error} />;
  const r = q.data;
  const attempts = (Array.isArray(r.attempts) ? r.attempts : []) as Attempt[];
  const facts: Array<[string, string]> = [
    ["Request id", r.id],
    ["Time", dateTime(r.createdAt)],
    ["Route", r.routeName ? `${r.routeName} v${r.routeVersion ?? "?"}` : "—"],
    ["Requested → final model", `${r.requestedModel} → ${r.finalModel ?? "—"}`],
    ["Provider", r.provider ?? "—"],
    ["Status", `${r.status} (${r.httpStatus}${r.errorCode ? `, ${r.errorCode}` : ""})`],
    [
      "Tokens in / out / cached",
      `${num(r.inputTokens)} / ${num(r.outputTokens)} / ${num(r.cachedTokens)}${r.tokensEstimated ? " (estimated)" : ""}`,
    ],
    ["Cost", usd(r.costMicros)],
    ["Latency / TTFT", `${ms(r.latencyMs)} / ${ms(r.ttftMs)}`],
    ["Retries · fallback", `${r.retryCount} · ${r.fallbackUsed ? "yes" : "no"}`],
    ["Stream · cache · validator", `${r.stream ? "yes" : "no"} · ${r.cacheHit} · ${r.validatorResult}`],
    ["Environment · workflow · end user", `${r.environment ?? "—"} · ${r.workflow ?? "—"} · ${r.endUser ?? "—"}`],
  ];
  return (
    <div className="space-y-5 text-sm" data-testid="log-detail">
      <dl className="grid gap-x-4 gap-y-2 sm:grid-cols-2">
        {facts.map(([k, v]) => (
          <div key={k}>
            <dt className="text-xs text-zinc-500">{k}</dt>
            <dd className="font-medium break-all">{v}</dd>
          </div>
        ))}
      </dl>
      <div>
        <h3 className="mb-2 text-xs font-medium text-zinc-500">Attempts</h3>
        {attempts.length ? (
          <ol className="space-y-1">
            {attempts.map((a, i) => (
              <li key={i} className="flex flex-wrap justify-between gap-2 rounded-md bg-zinc-50 px-2 py-1.5 text-xs">
                <span>
                  #{i + 1} {a.model ?? a.target} <span className="text-zinc-500">via {a.provider ?? "?"}</span>
                </span>
                <span className="text-zinc-600">
                  {String(a.status ?? "")} {a.errorCode ?? ""} · {ms(a.latencyMs ?? null)} ·{" "}
                  {usd(a.costMicros !== undefined ? BigInt(a.costMicros) : null)}
                </span>
              </li>
            ))}
          </ol>
        ) : (
          <p className="text-xs text-zinc-500">No upstream attempt (rejected before routing or served from cache).</p>
        )}
      </div>
      {r.bodiesHidden ? (
        <p className="text-xs text-zinc-500">Bodies were kept for this request, but your role cannot read them.</p>
      ) : null}
      {r.requestBody !== null || r.responseBody !== null ? (
        <div className="grid gap-3 lg:grid-cols-2">
          <div>
            <h3 className="mb-1 text-xs font-medium text-zinc-500">Request body</h3>
            <pre className="max-h-64 overflow-auto rounded-lg bg-zinc-50 p-2 font-mono text-xs ring-1 ring-zinc-200">
              {JSON.stringify(r.requestBody, null, 2)}
            </pre>
          </div>
          <div>
            <h3 className="mb-1 text-xs font-medium text-zinc-500">Response body</h3>
            <pre className="max-h-64 overflow-auto rounded-lg bg-zinc-50 p-2 font-mono text-xs ring-1 ring-zinc-200">
              {JSON.stringify(r.responseBody, null, 2)}
            </pre>
          </div>
        </div>
      ) : !r.bodiesHidden ? (
        <p className="text-xs text-zinc-500">
          Bodies are not kept for this tenant (Settings → keep prompt and response bodies).
        </p>
      ) : null}
    </div>
  );
}
