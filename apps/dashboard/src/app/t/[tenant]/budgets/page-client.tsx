"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { BurnDown } from "~/components/budgets/burn-down.tsx";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Dialog } from "~/components/ui/dialog.tsx";
import { Field, fieldErrors, Input, Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { Table, Td, Th } from "~/components/ui/table.tsx";
import { day, num, usd } from "~/lib/format.ts";
import { budgetSchema, rateLimitSchema } from "~/lib/schemas/limits.ts";
import { useTRPC } from "~/trpc/react.tsx";

export function BudgetsPageClient() {
  return (
    <RequireScope scope="budgets:read">
      <Budgets />
    </RequireScope>
  );
}

function Budgets() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const budgets = useQuery(trpc.budgets.list.queryOptions({ tenantId: t.id }));
  const limits = useQuery({
    ...trpc.budgets.rateLimits.queryOptions({ tenantId: t.id }),
    enabled: t.can("limits:read"),
  });
  const facets = useQuery(trpc.logs.facets.queryOptions({ tenantId: t.id }));
  const routes = useQuery(trpc.routes.list.queryOptions({ tenantId: t.id }));
  const apps = useQuery(trpc.apps.list.queryOptions({ tenantId: t.id }));
  const [dialog, setDialog] = useState<"budget" | "limit" | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [scope, setScope] = useState("tenant");
  const [action, setAction] = useState("block");
  const refresh = () => qc.invalidateQueries(trpc.budgets.pathFilter());
  const createBudget = useMutation(
    trpc.budgets.create.mutationOptions({
      onSuccess: () => {
        setDialog(null);
        return refresh();
      },
    }),
  );
  const deleteBudget = useMutation(trpc.budgets.delete.mutationOptions({ onSuccess: refresh }));
  const createLimit = useMutation(
    trpc.budgets.createRateLimit.mutationOptions({
      onSuccess: () => {
        setDialog(null);
        return refresh();
      },
    }),
  );
  const deleteLimit = useMutation(trpc.budgets.deleteRateLimit.mutationOptions({ onSuccess: refresh }));

  const subjectPicker = (
    <>
      {scope === "app" ? (
        <Field label="App" htmlFor="b-app" error={errors.appId}>
          <Select id="b-app" name="appId">
            {apps.data?.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </Select>
        </Field>
      ) : null}
      {scope === "key" ? (
        <Field label="Key" htmlFor="b-key" error={errors.apiKeyId}>
          <Select id="b-key" name="apiKeyId">
            {facets.data?.keys.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.prefix})
              </option>
            ))}
          </Select>
        </Field>
      ) : null}
      {scope === "route" ? (
        <Field label="Route" htmlFor="b-route" error={errors.routeId}>
          <Select id="b-route" name="routeId">
            {routes.data?.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </Select>
        </Field>
      ) : null}
      {scope === "model" ? (
        <Field label="Model" htmlFor="b-model" error={errors.modelName}>
          <Select id="b-model" name="modelName">
            {facets.data?.models.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </Select>
        </Field>
      ) : null}
    </>
  );

  return (
    <>
      <PageHeader
        title="Budgets & rate limits"
        description="Budgets reserve the worst case before a call and settle the real cost after it, so bursts cannot overspend. Rate limits count requests and tokens per minute."
        actions={
          <>
            {t.can("limits:write") ? (
              <Button
                variant="secondary"
                onClick={() => {
                  setScope("tenant");
                  setErrors({});
                  setDialog("limit");
                }}
              >
                New rate limit
              </Button>
            ) : null}
            {t.can("budgets:write") ? (
              <Button
                onClick={() => {
                  setScope("tenant");
                  setErrors({});
                  setDialog("budget");
                }}
              >
                New budget
              </Button>
            ) : null}
          </>
        }
      />
      <ErrorNote error={deleteBudget.error ?? deleteLimit.error} />
      {budgets.isPending ? (
        <LoadingRows />
      ) : !budgets.data?.length ? (
        <EmptyState title="No budgets yet">A tenant-wide monthly budget is a good first one.</EmptyState>
      ) : (
        <div className="grid gap-6 xl:grid-cols-2">
          {budgets.data.map((b) => {
            const used = Number(b.burn.spentMicros) / Math.max(1, Number(b.limitMicros));
            return (
              <Card
                key={b.id}
                title={b.name}
                description={`${b.scope}${b.app ? `: ${b.app.name}` : b.apiKey ? `: ${b.apiKey.name}` : b.route ? `: ${b.route.name}` : ""} · per ${b.period} · alert at ${b.softThresholdPct}% · then ${b.action}${b.downgradeRoute ? ` → ${b.downgradeRoute.name}` : ""}`}
                actions={
                  t.can("budgets:write") ? (
                    <Button
                      size="sm"
                      variant="danger"
                      onClick={() =>
                        confirm(`Delete budget ${b.name}?`) && deleteBudget.mutate({ tenantId: t.id, id: b.id })
                      }
                    >
                      Delete
                    </Button>
                  ) : null
                }
              >
                <div className="mb-3 flex items-baseline justify-between text-sm">
                  <span>
                    <strong>{usd(b.burn.spentMicros, 2)}</strong> of {usd(b.limitMicros, 2)}
                  </span>
                  <span className="text-xs text-zinc-500">
                    {b.burn.forecastMicros !== null ? `forecast ${usd(b.burn.forecastMicros, 2)}` : "no end date"}
                    {b.burn.projectedExhaustionAt ? ` · runs out ${day(b.burn.projectedExhaustionAt)}` : ""}
                  </span>
                </div>
                <div className="mb-4 h-2 overflow-hidden rounded-full bg-zinc-100">
                  <div
                    className={`h-full ${used >= 1 ? "bg-red-500" : used * 100 >= b.softThresholdPct ? "bg-amber-500" : "bg-emerald-500"}`}
                    style={{ width: `${Math.min(100, used * 100)}%` }}
                  />
                </div>
                <BurnDown burn={b.burn} />
              </Card>
            );
          })}
        </div>
      )}
      {t.can("limits:read") ? (
        <Card
          className="mt-6"
          title="Rate limits"
          description="Keys also carry their own RPM/TPM, set when the key is created."
        >
          {limits.isPending ? (
            <LoadingRows rows={3} />
          ) : !limits.data?.length ? (
            <EmptyState title="No rate limits" />
          ) : (
            <Table>
              <thead>
                <tr>
                  <Th>Scope</Th>
                  <Th>Applies to</Th>
                  <Th className="text-right">RPM</Th>
                  <Th className="text-right">TPM</Th>
                  {t.can("limits:write") ? <Th /> : null}
                </tr>
              </thead>
              <tbody>
                {limits.data.map((l) => (
                  <tr key={l.id}>
                    <Td>
                      <Badge>{l.scope}</Badge>
                    </Td>
                    <Td>{l.app?.name ?? l.apiKey?.name ?? l.route?.name ?? l.modelName ?? "whole tenant"}</Td>
                    <Td className="text-right tabular-nums">{num(l.rpm)}</Td>
                    <Td className="text-right tabular-nums">{num(l.tpm)}</Td>
                    {t.can("limits:write") ? (
                      <Td className="text-right">
                        <Button
                          size="sm"
                          variant="danger"
                          onClick={() => deleteLimit.mutate({ tenantId: t.id, id: l.id })}
                        >
                          Delete
                        </Button>
                      </Td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </Card>
      ) : null}
      <Dialog open={dialog === "budget"} onClose={() => setDialog(null)} title="New budget">
        <form
          className="grid gap-4 sm:grid-cols-2"
          noValidate
          action={(form) => {
            const raw = Object.fromEntries(
              [
                "name",
                "scope",
                "appId",
                "apiKeyId",
                "routeId",
                "period",
                "limitDollars",
                "softThresholdPct",
                "action",
                "downgradeRouteId",
              ].map((k) => [k, form.get(k) ?? ""]),
            );
            const parsed = budgetSchema.safeParse(raw);
            if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
            setErrors({});
            createBudget.mutate({ tenantId: t.id, ...parsed.data });
          }}
        >
          <Field label="Name" htmlFor="b-name" error={errors.name} className="sm:col-span-2">
            <Input id="b-name" name="name" placeholder="Monthly tenant budget" />
          </Field>
          <Field label="Scope" htmlFor="b-scope">
            <Select id="b-scope" name="scope" value={scope} onChange={(e) => setScope(e.target.value)}>
              {["tenant", "app", "key", "route"].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </Select>
          </Field>
          {subjectPicker}
          <Field label="Period" htmlFor="b-period">
            <Select id="b-period" name="period" defaultValue="month">
              {["day", "week", "month", "total"].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </Select>
          </Field>
          <Field label="Limit (USD)" htmlFor="b-limit" error={errors.limitDollars}>
            <Input id="b-limit" name="limitDollars" inputMode="decimal" />
          </Field>
          <Field label="Alert at (% of limit)" htmlFor="b-soft" error={errors.softThresholdPct}>
            <Input id="b-soft" name="softThresholdPct" defaultValue="80" inputMode="numeric" />
          </Field>
          <Field label="When spent" htmlFor="b-action">
            <Select id="b-action" name="action" value={action} onChange={(e) => setAction(e.target.value)}>
              <option value="block">block requests</option>
              <option value="downgrade">downgrade to a cheaper route</option>
              <option value="alert_only">alert only</option>
            </Select>
          </Field>
          {action === "downgrade" ? (
            <Field label="Downgrade route" htmlFor="b-down" error={errors.downgradeRouteId}>
              <Select id="b-down" name="downgradeRouteId">
                {routes.data?.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </Select>
            </Field>
          ) : null}
          <div className="sm:col-span-2">
            <ErrorNote error={createBudget.error} />
          </div>
          <div className="flex justify-end sm:col-span-2">
            <Button type="submit" loading={createBudget.isPending}>
              Create budget
            </Button>
          </div>
        </form>
      </Dialog>
      <Dialog open={dialog === "limit"} onClose={() => setDialog(null)} title="New rate limit">
        <form
          className="grid gap-4 sm:grid-cols-2"
          noValidate
          action={(form) => {
            const raw = Object.fromEntries(
              ["scope", "appId", "apiKeyId", "routeId", "modelName", "rpm", "tpm"].map((k) => [k, form.get(k) ?? ""]),
            );
            const parsed = rateLimitSchema.safeParse(raw);
            if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
            setErrors({});
            createLimit.mutate({ tenantId: t.id, ...parsed.data });
          }}
        >
          <Field label="Scope" htmlFor="l-scope">
            <Select id="l-scope" name="scope" value={scope} onChange={(e) => setScope(e.target.value)}>
              {["tenant", "app", "key", "route", "model"].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </Select>
          </Field>
          {subjectPicker}
          <Field label="Requests per minute" htmlFor="l-rpm" error={errors.rpm}>
            <Input id="l-rpm" name="rpm" inputMode="numeric" />
          </Field>
          <Field label="Tokens per minute" htmlFor="l-tpm" error={errors.tpm}>
            <Input id="l-tpm" name="tpm" inputMode="numeric" />
          </Field>
          <div className="sm:col-span-2">
            <ErrorNote error={createLimit.error} />
          </div>
          <div className="flex justify-end sm:col-span-2">
            <Button type="submit" loading={createLimit.isPending}>
              Create limit
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
