"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { targetModels, type RouteVersionSpec } from "@gateway/policy/route-spec";
import { RouteEditor } from "~/components/routes/route-editor.tsx";
import { RISK_TONE } from "~/components/routes/risk-table.tsx";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Dialog } from "~/components/ui/dialog.tsx";
import { Field, Input } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, LoadingRows } from "~/components/ui/states.tsx";
import { Table, Td, Th } from "~/components/ui/table.tsx";
import { routeNameSchema } from "~/lib/schemas/routes.ts";
import { useTRPC } from "~/trpc/react.tsx";

function cacheSummary(spec: RouteVersionSpec): string {
  const parts: string[] = [];
  if (spec.cacheTtlSeconds > 0) parts.push(`exact ${spec.cacheTtlSeconds}s`);
  if (spec.semanticCache?.enabled) parts.push(`semantic ≥ ${spec.semanticCache.threshold}`);
  return parts.join(", ") || "off";
}

function guardrailSummary(spec: RouteVersionSpec): string {
  const g = spec.guardrails;
  if (!g) return "none";
  const parts: string[] = [];
  for (const stage of ["input", "output"] as const) {
    const s = g[stage];
    if (!s) continue;
    const checks = [
      s.pii ? `PII ${s.pii.action}` : null,
      s.bannedPatterns?.length ? `${s.bannedPatterns.length} pattern${s.bannedPatterns.length > 1 ? "s" : ""}` : null,
      stage === "input" && g.input?.injection ? "injection" : null,
    ].filter(Boolean);
    if (checks.length) parts.push(`${stage}: ${checks.join(", ")}`);
  }
  return parts.join("; ") || "none";
}

export function RoutesPageClient() {
  return (
    <RequireScope scope="routes:read">
      <Routes />
    </RequireScope>
  );
}

function Routes() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const routes = useQuery(trpc.routes.list.queryOptions({ tenantId: t.id }));
  const models = useQuery(trpc.models.list.queryOptions({ tenantId: t.id }));
  const backend = useQuery(trpc.routes.semanticBackend.queryOptions({ tenantId: t.id }));
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string>();
  const create = useMutation(
    trpc.routes.create.mutationOptions({
      onSuccess: () => {
        setCreating(false);
        return qc.invalidateQueries(trpc.routes.pathFilter());
      },
    }),
  );
  const modelNames = models.data?.map((m) => m.name) ?? [];
  const embeddingModels = models.data?.filter((m) => m.kind === "embedding").map((m) => m.name) ?? [];
  return (
    <>
      <PageHeader
        title="Routes"
        description="Stable names applications call. Each route picks targets in order, with a risk level that decides what happens when one fails."
        actions={
          t.can("routes:write") ? (
            <Button onClick={() => setCreating(true)} disabled={!modelNames.length}>
              New route
            </Button>
          ) : null
        }
      />
      {backend.data ? (
        <p className="mb-3 text-xs text-zinc-500" data-testid="semantic-backend-note">
          Semantic cache backend:{" "}
          <Badge tone={backend.data.kind === "pgvector" ? "green" : "amber"}>{backend.data.label}</Badge>{" "}
          <span className="text-zinc-400">{backend.data.reason}</span>
        </p>
      ) : null}
      <Card padded>
        {routes.isPending ? (
          <LoadingRows />
        ) : !routes.data?.length ? (
          <EmptyState title="No routes yet">Add models first, then a route that sends traffic to them.</EmptyState>
        ) : (
          <Table>
            <thead>
              <tr>
                <Th>Route</Th>
                <Th>Risk</Th>
                <Th>Targets</Th>
                <Th>Retries</Th>
                <Th>Cache</Th>
                <Th>Guardrails</Th>
                <Th>Version</Th>
              </tr>
            </thead>
            <tbody>
              {routes.data.map((r) => (
                <tr key={r.id} data-testid={`route-row-${r.name}`}>
                  <Td>
                    <Link className="font-medium text-zinc-900 hover:underline" href={`${t.base}/routes/${r.id}`}>
                      {r.name}
                    </Link>
                    {r.description ? <div className="text-xs text-zinc-500">{r.description}</div> : null}
                  </Td>
                  <Td>{r.spec ? <Badge tone={RISK_TONE[r.spec.riskLevel]}>{r.spec.riskLevel}</Badge> : "—"}</Td>
                  <Td className="text-xs text-zinc-600">{r.spec ? targetModels(r.spec.targets).join(" → ") : "—"}</Td>
                  <Td>{r.spec?.retryLimit ?? "—"}</Td>
                  <Td className="text-xs text-zinc-600">{r.spec ? cacheSummary(r.spec) : "—"}</Td>
                  <Td className="text-xs text-zinc-600">{r.spec ? guardrailSummary(r.spec) : "—"}</Td>
                  <Td className="text-zinc-600">v{r.currentVersion}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      <Dialog open={creating} onClose={() => setCreating(false)} title="New route" wide>
        <div className="space-y-4">
          <Field label="Name" htmlFor="route-name" error={nameError} hint="What applications put in `model`.">
            <Input
              id="route-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="support-summary"
            />
          </Field>
          <RouteEditor
            initial={{
              riskLevel: "low",
              targets: [{ model: modelNames[0] ?? "" }],
              upgradeRules: [],
              retryLimit: 1,
              totalTimeoutMs: 60000,
              ttftTimeoutMs: 15000,
              maxInputTokens: null,
              maxOutputTokens: null,
              validator: null,
              cacheTtlSeconds: 0,
              semanticCache: null,
              guardrails: null,
            }}
            models={modelNames}
            embeddingModels={embeddingModels}
            semanticBackend={backend.data}
            saving={create.isPending}
            error={create.error}
            submitLabel="Create route"
            onSave={(spec, note) => {
              const n = routeNameSchema.safeParse(name);
              if (!n.success) return setNameError(n.error.issues[0]?.message);
              setNameError(undefined);
              create.mutate({ tenantId: t.id, name: n.data, spec, note: note || undefined });
            }}
          />
        </div>
      </Dialog>
    </>
  );
}
