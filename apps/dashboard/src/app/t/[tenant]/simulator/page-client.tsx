"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { RISK_TONE, RiskTable } from "~/components/routes/risk-table.tsx";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Field, Input, Select, Textarea } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, ErrorNote } from "~/components/ui/states.tsx";
import { num, usd } from "~/lib/format.ts";
import { useTRPC } from "~/trpc/react.tsx";

const EXAMPLE = JSON.stringify(
  {
    model: "support-summary",
    messages: [{ role: "user", content: "Summarise this ticket: the customer cannot log in since Tuesday." }],
    max_tokens: 300,
  },
  null,
  2,
);

export function SimulatorPageClient() {
  return (
    <RequireScope scope="simulator:use">
      <Simulator />
    </RequireScope>
  );
}

function Simulator() {
  const t = useTenant();
  const trpc = useTRPC();
  const facets = useQuery(trpc.logs.facets.queryOptions({ tenantId: t.id }));
  const [apiKeyId, setKey] = useState("");
  const [request, setRequest] = useState(EXAMPLE);
  const [userTier, setTier] = useState("");
  const [workflow, setWorkflow] = useState("");
  const run = useMutation(trpc.simulator.run.mutationOptions());
  const keyId = apiKeyId || facets.data?.keys[0]?.id || "";
  const r = run.data;

  return (
    <>
      <PageHeader
        title="Policy simulator"
        description="Pick a key, paste a request: see what the gateway would decide, using the proxy's own policy functions. No provider is called."
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Request">
          <div className="space-y-4">
            <Field label="API key" htmlFor="sim-key">
              <Select id="sim-key" value={keyId} onChange={(e) => setKey(e.target.value)}>
                {facets.data?.keys.map((k) => (
                  <option key={k.id} value={k.id}>
                    {k.name} ({k.prefix}…)
                  </option>
                ))}
              </Select>
            </Field>
            <Field label="Request body (OpenAI chat format)" htmlFor="sim-body">
              <Textarea id="sim-body" rows={10} value={request} onChange={(e) => setRequest(e.target.value)} />
            </Field>
            <div className="grid grid-cols-2 gap-3">
              <Field label="x-gateway-user-tier" htmlFor="sim-tier">
                <Input id="sim-tier" value={userTier} onChange={(e) => setTier(e.target.value)} placeholder="paid" />
              </Field>
              <Field label="x-gateway-workflow" htmlFor="sim-wf">
                <Input id="sim-wf" value={workflow} onChange={(e) => setWorkflow(e.target.value)} />
              </Field>
            </div>
            <ErrorNote error={run.error} />
            <div className="flex justify-end">
              <Button
                loading={run.isPending}
                disabled={!keyId}
                onClick={() =>
                  run.mutate({
                    tenantId: t.id,
                    apiKeyId: keyId,
                    request,
                    userTier: userTier || undefined,
                    workflow: workflow || undefined,
                  })
                }
              >
                Simulate
              </Button>
            </div>
          </div>
        </Card>
        <Card title="Decision">
          {!r ? (
            <EmptyState title="Nothing simulated yet">
              Results show the route, its targets in order, limits, the budget decision and the estimated cost.
            </EmptyState>
          ) : (
            <div className="space-y-5 text-sm" data-testid="sim-result">
              <div className="flex flex-wrap items-center gap-2">
                {r.decision.kind === "allowed" ? <Badge tone="green">would be allowed</Badge> : null}
                {r.decision.kind === "allowed" && "downgradedTo" in r.decision && r.decision.downgradedTo ? (
                  <Badge tone="amber">downgraded to {r.decision.downgradedTo} (budget spent)</Badge>
                ) : r.decision.kind === "allowed" ? null : (
                  <Badge tone="red">
                    rejected: {r.decision.status} {r.decision.code}
                  </Badge>
                )}
                {"riskLevel" in r && r.riskLevel ? (
                  <span data-testid="sim-risk">
                    <Badge tone={RISK_TONE[r.riskLevel as "low" | "medium" | "high"]}>risk: {r.riskLevel}</Badge>
                  </span>
                ) : null}
                <span className="text-xs text-zinc-500">≈{num(r.inputTokens)} input tokens (estimated)</span>
              </div>
              {r.decision.kind === "rejected" ? <p className="text-zinc-700">{r.decision.message}</p> : null}
              {"route" in r && r.route ? (
                <div>
                  <h3 className="text-xs font-medium text-zinc-500">Route</h3>
                  <p>
                    <strong>{r.route.name}</strong> v{r.route.version}
                    {"retryLimit" in r && r.retryLimit !== null
                      ? ` · ${r.retryLimit} retr${r.retryLimit === 1 ? "y" : "ies"} per target`
                      : ""}
                    {"upgradedBy" in r && r.upgradedBy !== null
                      ? ` · upgrade rule #${(r.upgradedBy ?? 0) + 1} applied`
                      : ""}
                  </p>
                </div>
              ) : null}
              {"targets" in r && r.targets ? (
                <div>
                  <h3 className="mb-1 text-xs font-medium text-zinc-500">Targets in order</h3>
                  <ol className="space-y-1" data-testid="sim-targets">
                    {r.targets.map((x) => (
                      <li key={x.tier} className="flex justify-between rounded-md bg-zinc-50 px-2 py-1">
                        <span>
                          {x.tier === 0 ? "primary" : `fallback ${x.tier}`}: <strong>{x.model}</strong>
                        </span>
                        <span className="text-xs text-zinc-500">
                          worst case {x.worstCaseMicros !== null ? usd(x.worstCaseMicros) : "unpriced"}
                        </span>
                      </li>
                    ))}
                  </ol>
                </div>
              ) : null}
              {"limits" in r && r.limits ? (
                <div>
                  <h3 className="mb-1 text-xs font-medium text-zinc-500">Rate limits that apply</h3>
                  {r.limits.length ? (
                    <ul className="text-xs text-zinc-700">
                      {r.limits.map((l) => (
                        <li key={`${l.scope}:${l.subject}:${l.kind}`}>
                          {l.scope} {l.kind.toUpperCase()} ≤ {num(l.limit)}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <p className="text-xs text-zinc-500">None.</p>
                  )}
                </div>
              ) : null}
              {"budgets" in r && r.budgets ? (
                <div>
                  <h3 className="mb-1 text-xs font-medium text-zinc-500">
                    Budgets · decision: <strong data-testid="sim-budget-decision">{r.budgetDecision?.kind}</strong>
                  </h3>
                  {r.budgets.length ? (
                    <ul className="text-xs text-zinc-700">
                      {r.budgets.map((b) => (
                        <li key={b.id}>
                          {b.name} ({b.scope}, {b.period}): {usd(b.spentMicros)} of {usd(b.limitMicros)} · on overspend{" "}
                          {b.action}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <p className="text-xs text-zinc-500">No budget applies.</p>
                  )}
                  <p className="mt-2 text-xs">
                    Reserved before the call (worst case on the primary): <strong>{usd(r.estimatedCostMicros)}</strong>
                  </p>
                </div>
              ) : null}
              {"riskLevel" in r && r.riskLevel ? <RiskTable highlight={r.riskLevel} /> : null}
            </div>
          )}
        </Card>
      </div>
    </>
  );
}
