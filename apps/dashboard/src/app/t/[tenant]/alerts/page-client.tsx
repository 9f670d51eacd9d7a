"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Dialog } from "~/components/ui/dialog.tsx";
import { Field, fieldErrors, Input, Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { Pagination, Table, Td, Th } from "~/components/ui/table.tsx";
import { dateTime } from "~/lib/format.ts";
import { ALERT_KINDS, alertRuleSchema } from "~/lib/schemas/alerts.ts";
import { useTRPC } from "~/trpc/react.tsx";

const THRESHOLD_HINT: Record<(typeof ALERT_KINDS)[number], string> = {
  budget_soft_threshold: "percent of the budget",
  budget_exhausted: "percent of the budget (100)",
  spend_spike: "× the usual spend in the window",
  error_rate: "fraction of requests, e.g. 0.05",
  fallback_rate: "fraction of requests, e.g. 0.2",
  p95_latency: "milliseconds",
};

export function AlertsPageClient() {
  return (
    <RequireScope scope="alerts:read">
      <Alerts />
    </RequireScope>
  );
}

function Alerts() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const rules = useQuery(trpc.alerts.rules.queryOptions({ tenantId: t.id }));
  const [page, setPage] = useState(1);
  const events = useQuery({
    ...trpc.alerts.events.queryOptions({ tenantId: t.id, page }),
    placeholderData: keepPreviousData,
  });
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<(typeof ALERT_KINDS)[number]>("error_rate");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const refresh = () => qc.invalidateQueries(trpc.alerts.pathFilter());
  const create = useMutation(
    trpc.alerts.createRule.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        return refresh();
      },
    }),
  );
  const toggle = useMutation(trpc.alerts.setEnabled.mutationOptions({ onSuccess: refresh }));
  const canWrite = t.can("alerts:write");
  return (
    <>
      <PageHeader
        title="Alerts"
        description="Rules the worker evaluates, and the webhook deliveries they produced (signed with HMAC; retried, then dead-lettered)."
        actions={
          canWrite ? (
            <Button
              onClick={() => {
                setErrors({});
                setOpen(true);
              }}
            >
              New rule
            </Button>
          ) : null
        }
      />
      <ErrorNote error={toggle.error} />
      <Card title="Rules" padded>
        {rules.isPending ? (
          <LoadingRows rows={3} />
        ) : !rules.data?.length ? (
          <EmptyState title="No alert rules" />
        ) : (
          <Table>
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Kind</Th>
                <Th>Threshold</Th>
                <Th>Webhook</Th>
                <Th>Enabled</Th>
              </tr>
            </thead>
            <tbody>
              {rules.data.map((r) => {
                const p = r.params as { threshold?: number; windowMinutes?: number; routeName?: string };
                return (
                  <tr key={r.id}>
                    <Td className="font-medium">{r.name}</Td>
                    <Td>
                      <Badge>{r.kind}</Badge>
                    </Td>
                    <Td className="text-xs text-zinc-600">
                      {p.threshold ?? "—"} over {p.windowMinutes ?? "—"} min{p.routeName ? ` on ${p.routeName}` : ""}
                    </Td>
                    <Td className="max-w-56 truncate text-xs text-zinc-600">
                      {r.webhookUrl ?? "none"} {r.hasSecret ? <Badge tone="green">signed</Badge> : null}
                    </Td>
                    <Td>
                      <input
                        type="checkbox"
                        aria-label={`Enable ${r.name}`}
                        checked={r.enabled}
                        disabled={!canWrite}
                        onChange={(e) => toggle.mutate({ tenantId: t.id, id: r.id, enabled: e.target.checked })}
                      />
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}
      </Card>
      <Card className="mt-6" title="Events and deliveries" padded>
        {events.isPending ? (
          <LoadingRows rows={3} />
        ) : !events.data?.rows.length ? (
          <EmptyState title="No alerts have fired" />
        ) : (
          <>
            <Table>
              <thead>
                <tr>
                  <Th>When</Th>
                  <Th>Rule · kind</Th>
                  <Th>Status</Th>
                  <Th>Deliveries</Th>
                </tr>
              </thead>
              <tbody>
                {events.data.rows.map((e) => (
                  <tr key={e.id}>
                    <Td className="whitespace-nowrap text-zinc-600">{dateTime(e.createdAt)}</Td>
                    <Td>
                      <div className="font-medium">{e.rule?.name ?? "(deleted rule)"}</div>
                      <div className="text-xs text-zinc-500">{e.kind}</div>
                    </Td>
                    <Td>
                      <Badge tone={e.status === "delivered" ? "green" : e.status === "dead_letter" ? "red" : "amber"}>
                        {e.status}
                      </Badge>
                    </Td>
                    <Td className="text-xs text-zinc-600">
                      {e.deliveries.length
                        ? e.deliveries
                            .map(
                              (d) =>
                                `#${d.attempt} ${d.status}${d.responseStatus ? ` (${d.responseStatus})` : ""}${d.error ? `: ${d.error}` : ""}`,
                            )
                            .join(" · ")
                        : "—"}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
            <Pagination page={page} pageSize={events.data.pageSize} total={events.data.total} onPage={setPage} />
          </>
        )}
      </Card>
      <Dialog open={open} onClose={() => setOpen(false)} title="New alert rule">
        <form
          className="grid gap-4 sm:grid-cols-2"
          noValidate
          action={(form) => {
            const parsed = alertRuleSchema.safeParse({
              tenantId: t.id,
              ...Object.fromEntries(
                ["name", "kind", "threshold", "windowMinutes", "webhookUrl", "webhookSecret"].map((k) => [
                  k,
                  form.get(k) ?? "",
                ]),
              ),
              routeName: form.get("routeName") || undefined,
            });
            if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
            setErrors({});
            create.mutate(parsed.data);
          }}
        >
          <Field label="Name" htmlFor="a-name" error={errors.name} className="sm:col-span-2">
            <Input id="a-name" name="name" />
          </Field>
          <Field label="Kind" htmlFor="a-kind">
            <Select id="a-kind" name="kind" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
              {ALERT_KINDS.map((k) => (
                <option key={k}>{k}</option>
              ))}
            </Select>
          </Field>
          <Field label="Threshold" htmlFor="a-th" error={errors.threshold} hint={THRESHOLD_HINT[kind]}>
            <Input id="a-th" name="threshold" inputMode="decimal" />
          </Field>
          <Field label="Window (minutes)" htmlFor="a-win" error={errors.windowMinutes}>
            <Input id="a-win" name="windowMinutes" defaultValue="15" inputMode="numeric" />
          </Field>
          <Field label="Route (optional)" htmlFor="a-route">
            <Input id="a-route" name="routeName" />
          </Field>
          <Field label="Webhook URL" htmlFor="a-url" error={errors.webhookUrl} className="sm:col-span-2">
            <Input id="a-url" name="webhookUrl" placeholder="https://hooks.example.com/gateway" />
          </Field>
          <Field
            label="Signing secret"
            htmlFor="a-secret"
            hint="Write-only; used for the X-Gateway-Signature HMAC."
            className="sm:col-span-2"
          >
            <Input id="a-secret" name="webhookSecret" type="password" autoComplete="off" />
          </Field>
          <div className="sm:col-span-2">
            <ErrorNote error={create.error} />
          </div>
          <div className="flex justify-end sm:col-span-2">
            <Button type="submit" loading={create.isPending}>
              Create rule
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
