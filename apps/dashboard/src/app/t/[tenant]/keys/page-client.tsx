"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { CreateKeyForm } from "~/components/keys/create-key-form.tsx";
import { SecretReveal } from "~/components/keys/secret-reveal.tsx";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Dialog } from "~/components/ui/dialog.tsx";
import { Input, Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { Pagination, Table, Td, Th } from "~/components/ui/table.tsx";
import { ago, day, num, usd } from "~/lib/format.ts";
import type { KEY_SORT_FIELDS } from "~/lib/schemas/keys.ts";
import { useTRPC } from "~/trpc/react.tsx";

type SortField = (typeof KEY_SORT_FIELDS)[number];

export function KeysPageClient() {
  return (
    <RequireScope scope="keys:read">
      <Keys />
    </RequireScope>
  );
}

function Keys() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [page, setPage] = useState(1);
  const [sort, setSort] = useState<SortField>("createdAt");
  const [dir, setDir] = useState<"asc" | "desc">("desc");
  const [q, setQ] = useState("");
  const [status, setStatus] = useState<"all" | "active" | "revoked" | "expired">("active");
  const [creating, setCreating] = useState(false);
  const [revealed, setRevealed] = useState<{ secret: string; name: string } | null>(null);
  const list = useQuery({
    ...trpc.keys.list.queryOptions({ tenantId: t.id, page, pageSize: 20, sort, dir, q, status }),
    placeholderData: keepPreviousData,
  });
  const invalidate = () => qc.invalidateQueries(trpc.keys.pathFilter());
  const revoke = useMutation(trpc.keys.revoke.mutationOptions({ onSuccess: invalidate }));
  const rotate = useMutation(
    trpc.keys.rotate.mutationOptions({
      onSuccess: async (k) => {
        await invalidate();
        setRevealed({ secret: k.secret, name: k.name });
      },
    }),
  );
  const canWrite = t.can("keys:write");
  const onSort = (f: string) => {
    if (f === sort) setDir(dir === "asc" ? "desc" : "asc");
    else {
      setSort(f as SortField);
      setDir("desc");
    }
    setPage(1);
  };

  return (
    <>
      <PageHeader
        title="API keys"
        description="Each key belongs to one app and environment and carries its scope, limits, expiry and budget. Secrets are shown once."
        actions={canWrite ? <Button onClick={() => setCreating(true)}>New key</Button> : null}
      />
      <Card padded>
        <div className="mb-3 flex flex-wrap gap-2">
          <Input
            aria-label="Search keys"
            placeholder="Search by name or prefix (gw_…)"
            className="max-w-xs"
            value={q}
            onChange={(e) => {
              setQ(e.target.value);
              setPage(1);
            }}
          />
          <Select
            aria-label="Status"
            className="w-36"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as typeof status);
              setPage(1);
            }}
          >
            <option value="active">Active</option>
            <option value="revoked">Revoked</option>
            <option value="expired">Expired</option>
            <option value="all">All</option>
          </Select>
        </div>
        <ErrorNote error={revoke.error ?? rotate.error ?? list.error} />
        {list.isPending ? (
          <LoadingRows />
        ) : list.data && list.data.rows.length === 0 ? (
          <EmptyState
            title={q ? "No keys match" : "No keys yet"}
            action={canWrite && !q ? <Button onClick={() => setCreating(true)}>Create the first key</Button> : null}
          >
            Applications authenticate to the proxy with these keys.
          </EmptyState>
        ) : (
          <>
            <Table>
              <thead>
                <tr>
                  <Th sort="name" active={sort === "name"} dir={dir} onSort={onSort}>
                    Name
                  </Th>
                  <Th>Prefix</Th>
                  <Th>App · env</Th>
                  <Th>Scope &amp; limits</Th>
                  <Th sort="lastUsedAt" active={sort === "lastUsedAt"} dir={dir} onSort={onSort}>
                    Last used
                  </Th>
                  <Th sort="expiresAt" active={sort === "expiresAt"} dir={dir} onSort={onSort}>
                    Expires
                  </Th>
                  <Th sort="createdAt" active={sort === "createdAt"} dir={dir} onSort={onSort}>
                    Created
                  </Th>
                  {canWrite ? <Th className="text-right">Actions</Th> : null}
                </tr>
              </thead>
              <tbody data-testid="keys-table">
                {list.data?.rows.map((k) => (
                  <tr key={k.id} data-testid={`key-row-${k.prefix}`}>
                    <Td className="font-medium">{k.name}</Td>
                    <Td className="whitespace-nowrap">
                      <code className="font-mono text-xs">{k.prefix}…</code>
                    </Td>
                    <Td className="text-zinc-600">
                      <div className="whitespace-nowrap">{k.app.name}</div>
                      <div className="text-xs text-zinc-400">{k.environment.name}</div>
                    </Td>
                    <Td className="max-w-56 text-xs text-zinc-600">
                      <div className="truncate" title={k.allowedRoutes.join(", ")}>
                        {k.allowedRoutes.length ? k.allowedRoutes.join(", ") : "all routes"}
                      </div>
                      <div className="truncate text-zinc-400">
                        {[
                          k.rpm && `${num(k.rpm)} rpm`,
                          k.tpm && `${num(k.tpm)} tpm`,
                          ...k.budgets.map((b) => `${usd(b.limitMicros, 0)}/${b.period}`),
                        ]
                          .filter(Boolean)
                          .join(" · ") || "no key limits"}
                      </div>
                    </Td>
                    <Td className="whitespace-nowrap text-zinc-600">
                      <span data-testid="last-used">{ago(k.lastUsedAt)}</span>
                    </Td>
                    <Td className="whitespace-nowrap text-zinc-600">
                      {k.revokedAt ? <Badge tone="red">revoked</Badge> : k.expiresAt ? day(k.expiresAt) : "never"}
                    </Td>
                    <Td className="whitespace-nowrap text-zinc-600">{day(k.createdAt)}</Td>
                    {canWrite ? (
                      <Td className="text-right whitespace-nowrap">
                        {!k.revokedAt ? (
                          <span className="inline-flex gap-1.5">
                            <Button
                              size="sm"
                              variant="secondary"
                              loading={rotate.isPending && rotate.variables?.id === k.id}
                              onClick={() => rotate.mutate({ tenantId: t.id, id: k.id })}
                            >
                              Rotate
                            </Button>
                            <Button
                              size="sm"
                              variant="danger"
                              loading={revoke.isPending && revoke.variables?.id === k.id}
                              onClick={() => {
                                if (confirm(`Revoke ${k.name} (${k.prefix}…)? Requests using it fail within a second.`))
                                  revoke.mutate({ tenantId: t.id, id: k.id });
                              }}
                            >
                              Revoke
                            </Button>
                          </span>
                        ) : null}
                      </Td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </Table>
            {list.data ? (
              <Pagination page={page} pageSize={list.data.pageSize} total={list.data.total} onPage={setPage} />
            ) : null}
          </>
        )}
      </Card>
      <Dialog open={creating} onClose={() => setCreating(false)} title="New API key" wide>
        <CreateKeyForm
          onCreated={(k) => {
            setCreating(false);
            setRevealed(k);
          }}
        />
      </Dialog>
      <Dialog open={revealed !== null} onClose={() => setRevealed(null)} title="Your new key">
        {revealed ? (
          <SecretReveal
            secret={revealed.secret}
            name={revealed.name}
            proxyUrl={t.proxyUrl}
            onDone={() => setRevealed(null)}
          />
        ) : null}
      </Dialog>
    </>
  );
}
