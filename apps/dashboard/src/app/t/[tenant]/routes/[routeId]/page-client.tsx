"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { RouteEditor } from "~/components/routes/route-editor.tsx";
import { RISK_TONE } from "~/components/routes/risk-table.tsx";
import { SpecDiff } from "~/components/routes/spec-diff.tsx";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Dialog } from "~/components/ui/dialog.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { dateTime } from "~/lib/format.ts";
import { useTRPC } from "~/trpc/react.tsx";

export function RouteDetailPageClient({ routeId }: { routeId: string }) {
  return (
    <RequireScope scope="routes:read">
      <RouteDetail routeId={routeId} />
    </RequireScope>
  );
}

function RouteDetail({ routeId }: { routeId: string }) {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const route = useQuery(trpc.routes.get.queryOptions({ tenantId: t.id, routeId }));
  const models = useQuery(trpc.models.list.queryOptions({ tenantId: t.id }));
  const backend = useQuery(trpc.routes.semanticBackend.queryOptions({ tenantId: t.id }));
  const [diffOf, setDiffOf] = useState<number | null>(null);
  const [saved, setSaved] = useState<number | null>(null);
  const refresh = () => qc.invalidateQueries(trpc.routes.pathFilter());
  const save = useMutation(
    trpc.routes.saveVersion.mutationOptions({
      onSuccess: async (r) => {
        setSaved(r.version);
        await refresh();
      },
    }),
  );
  const restore = useMutation(
    trpc.routes.restore.mutationOptions({
      onSuccess: async (r) => {
        setSaved(r.version);
        setDiffOf(null);
        await refresh();
      },
    }),
  );

  if (route.isPending) return <LoadingRows rows={8} />;
  if (route.error) return <ErrorNote error={route.error} />;
  const r = route.data;
  const current = r.versions.find((v) => v.version === r.currentVersion);
  const compared = r.versions.find((v) => v.version === diffOf);
  const canWrite = t.can("routes:write");

  return (
    <>
      <PageHeader
        title={r.name}
        description={
          r.description ?? "Applications call this name; the targets behind it can change without touching their code."
        }
        actions={
          <Link href={`${t.base}/routes`} className="text-sm text-zinc-500 hover:text-zinc-900">
            ← All routes
          </Link>
        }
      />
      {saved ? (
        <div
          className="mb-4 rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800"
          role="status"
          data-testid="route-saved"
        >
          Saved as version {saved}. Running proxies reload it within a second.
        </div>
      ) : null}
      <div className="grid gap-6 xl:grid-cols-[1fr_320px]">
        <Card
          title={`Version ${r.currentVersion} (current)`}
          description={canWrite ? "Every save is a new version; nothing is overwritten." : "Read-only for your role."}
        >
          {current ? (
            <RouteEditor
              key={r.currentVersion}
              initial={current.spec}
              models={models.data?.map((m) => m.name) ?? []}
              embeddingModels={models.data?.filter((m) => m.kind === "embedding").map((m) => m.name) ?? []}
              semanticBackend={backend.data}
              disabled={!canWrite}
              saving={save.isPending}
              error={save.error}
              onSave={(spec, note) =>
                save.mutate({
                  tenantId: t.id,
                  routeId: r.id,
                  baseVersion: r.currentVersion,
                  spec,
                  note: note || undefined,
                })
              }
            />
          ) : null}
        </Card>
        <Card title="History" padded={false}>
          <ol className="divide-y divide-zinc-100" data-testid="route-history">
            {r.versions.map((v) => (
              <li key={v.version} className="flex items-start justify-between gap-2 px-4 py-3">
                <div className="min-w-0">
                  <div className="flex items-center gap-2 text-sm font-medium">
                    v{v.version} <Badge tone={RISK_TONE[v.spec.riskLevel]}>{v.spec.riskLevel}</Badge>
                    {v.version === r.currentVersion ? <Badge tone="blue">current</Badge> : null}
                  </div>
                  <div className="truncate text-xs text-zinc-500">{v.note ?? "no note"}</div>
                  <div className="text-xs text-zinc-400">
                    {v.createdBy ?? "system"} · {dateTime(v.createdAt)}
                  </div>
                </div>
                {v.version !== r.currentVersion ? (
                  <Button size="sm" variant="secondary" onClick={() => setDiffOf(v.version)}>
                    Diff
                  </Button>
                ) : null}
              </li>
            ))}
          </ol>
        </Card>
      </div>
      <Dialog
        open={diffOf !== null}
        onClose={() => setDiffOf(null)}
        title={`v${diffOf ?? ""} → v${r.currentVersion} (current)`}
        wide
      >
        {compared && current ? (
          <div className="space-y-4">
            <SpecDiff before={compared.spec} after={current.spec} />
            <ErrorNote error={restore.error} />
            {canWrite ? (
              <div className="flex justify-end">
                <Button
                  loading={restore.isPending}
                  onClick={() => restore.mutate({ tenantId: t.id, routeId: r.id, version: compared.version })}
                >
                  Restore v{compared.version} as a new version
                </Button>
              </div>
            ) : null}
          </div>
        ) : null}
      </Dialog>
    </>
  );
}
