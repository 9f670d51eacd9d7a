"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { SpecDiff } from "~/components/routes/spec-diff.tsx";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Input, Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, LoadingRows } from "~/components/ui/states.tsx";
import { Pagination, Table, Td, Th } from "~/components/ui/table.tsx";
import { dateTime } from "~/lib/format.ts";
import { useTRPC } from "~/trpc/react.tsx";

export function AuditPageClient() {
  return (
    <RequireScope scope="audit:read">
      <Audit />
    </RequireScope>
  );
}

function Audit() {
  const t = useTenant();
  const trpc = useTRPC();
  const [page, setPage] = useState(1);
  const [q, setQ] = useState("");
  const [resourceType, setType] = useState("");
  const [dir, setDir] = useState<"asc" | "desc">("desc");
  const [open, setOpen] = useState<string | null>(null);
  const list = useQuery({
    ...trpc.audit.list.queryOptions({ tenantId: t.id, page, q, dir, resourceType: resourceType || undefined }),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change, by whom, with what it was before and after. Secrets are never recorded."
      />
      <Card padded>
        <div className="mb-3 flex flex-wrap gap-2">
          <Input
            aria-label="Search audit log"
            className="max-w-xs"
            placeholder="Search action or person"
            value={q}
            onChange={(e) => {
              setQ(e.target.value);
              setPage(1);
            }}
          />
          <Select
            aria-label="Resource type"
            className="w-44"
            value={resourceType}
            onChange={(e) => {
              setType(e.target.value);
              setPage(1);
            }}
          >
            <option value="">all resources</option>
            {list.data?.resourceTypes.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </Select>
        </div>
        {list.isPending ? (
          <LoadingRows />
        ) : !list.data?.rows.length ? (
          <EmptyState title="No audit entries" />
        ) : (
          <>
            <Table>
              <thead>
                <tr>
                  <Th sort="createdAt" active dir={dir} onSort={() => setDir(dir === "asc" ? "desc" : "asc")}>
                    When
                  </Th>
                  <Th>Who</Th>
                  <Th>Action</Th>
                  <Th>Resource</Th>
                  <Th />
                </tr>
              </thead>
              <tbody data-testid="audit-table">
                {list.data.rows.map((a) => (
                  <Fragment key={a.id}>
                    <tr>
                      <Td className="whitespace-nowrap text-zinc-600">{dateTime(a.createdAt)}</Td>
                      <Td>
                        {a.actorName} <span className="text-xs text-zinc-400">({a.actorType})</span>
                      </Td>
                      <Td>
                        <Badge tone="blue">{a.action}</Badge>
                      </Td>
                      <Td className="text-xs text-zinc-600">
                        {a.resourceType} <span className="font-mono">{a.resourceId?.slice(0, 10)}</span>
                      </Td>
                      <Td className="text-right">
                        <Button size="sm" variant="ghost" onClick={() => setOpen(open === a.id ? null : a.id)}>
                          {open === a.id ? "Hide" : "Before/after"}
                        </Button>
                      </Td>
                    </tr>
                    {open === a.id ? (
                      <tr>
                        <td colSpan={5} className="p-3">
                          <SpecDiff before={a.before ?? {}} after={a.after ?? {}} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                ))}
              </tbody>
            </Table>
            <Pagination page={page} pageSize={list.data.pageSize} total={list.data.total} onPage={setPage} />
          </>
        )}
      </Card>
    </>
  );
}
