"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Dialog } from "~/components/ui/dialog.tsx";
import { Field, Select, Textarea } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { Pagination, Table, Td, Th } from "~/components/ui/table.tsx";
import { dateTime } from "~/lib/format.ts";
import { useTRPC } from "~/trpc/react.tsx";

export function ReviewsPageClient() {
  return (
    <RequireScope scope="reviews:read">
      <Reviews />
    </RequireScope>
  );
}

function Reviews() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [status, setStatus] = useState<"open" | "assigned" | "resolved" | "all">("open");
  const [page, setPage] = useState(1);
  const [resolving, setResolving] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const list = useQuery({
    ...trpc.reviews.list.queryOptions({ tenantId: t.id, status, page }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => qc.invalidateQueries(trpc.reviews.pathFilter());
  const assign = useMutation(trpc.reviews.assign.mutationOptions({ onSuccess: refresh }));
  const resolve = useMutation(
    trpc.reviews.resolve.mutationOptions({
      onSuccess: () => {
        setResolving(null);
        setNote("");
        return refresh();
      },
    }),
  );
  const canWrite = t.can("reviews:write");
  return (
    <>
      <PageHeader
        title="Review queue"
        description="High-risk routes never fall back silently: when a call fails they stop, return the error and open an item here for a person to decide."
        actions={
          <Select
            aria-label="Status"
            className="w-32"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as typeof status);
              setPage(1);
            }}
          >
            <option value="open">open</option>
            <option value="resolved">resolved</option>
            <option value="all">all</option>
          </Select>
        }
      />
      <ErrorNote error={assign.error} />
      <Card padded>
        {list.isPending ? (
          <LoadingRows />
        ) : !list.data?.rows.length ? (
          <EmptyState title={status === "open" ? "Nothing waiting for review" : "No items"}>
            High-risk stops appear here.
          </EmptyState>
        ) : (
          <>
            <Table>
              <thead>
                <tr>
                  <Th>Opened</Th>
                  <Th>Route</Th>
                  <Th>Why it stopped</Th>
                  <Th>Status</Th>
                  <Th>Assignee</Th>
                  {canWrite ? <Th /> : null}
                </tr>
              </thead>
              <tbody>
                {list.data.rows.map((r) => (
                  <tr key={r.id}>
                    <Td className="whitespace-nowrap text-zinc-600">{dateTime(r.createdAt)}</Td>
                    <Td>
                      <div className="font-medium">
                        {r.routeName} v{r.routeVersion}
                      </div>
                      <div className="font-mono text-xs text-zinc-500">{r.requestId}</div>
                    </Td>
                    <Td>
                      <Badge tone="red">{r.errorCode}</Badge>
                      <div className="mt-1 max-w-sm text-xs text-zinc-600">{r.reason}</div>
                      {r.resolutionNote ? (
                        <div className="mt-1 text-xs text-emerald-700">Resolved: {r.resolutionNote}</div>
                      ) : null}
                    </Td>
                    <Td>
                      <Badge tone={r.status === "resolved" ? "green" : r.status === "assigned" ? "blue" : "amber"}>
                        {r.status}
                      </Badge>
                    </Td>
                    <Td>
                      {canWrite && r.status !== "resolved" ? (
                        <Select
                          aria-label="Assignee"
                          className="w-44"
                          value={r.assigneeId ?? ""}
                          onChange={(e) =>
                            assign.mutate({ tenantId: t.id, id: r.id, assigneeId: e.target.value || null })
                          }
                        >
                          <option value="">unassigned</option>
                          {list.data.assignees.map((u) => (
                            <option key={u.id} value={u.id}>
                              {u.name ?? u.email}
                            </option>
                          ))}
                        </Select>
                      ) : (
                        <span className="text-zinc-600">{r.assignee?.name ?? r.assignee?.email ?? "—"}</span>
                      )}
                    </Td>
                    {canWrite ? (
                      <Td className="text-right">
                        {r.status !== "resolved" ? (
                          <Button size="sm" onClick={() => setResolving(r.id)}>
                            Resolve
                          </Button>
                        ) : null}
                      </Td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </Table>
            <Pagination page={page} pageSize={list.data.pageSize} total={list.data.total} onPage={setPage} />
          </>
        )}
      </Card>
      <Dialog open={resolving !== null} onClose={() => setResolving(null)} title="Resolve review item">
        <div className="space-y-3">
          <Field label="What was decided" htmlFor="rv-note">
            <Textarea
              id="rv-note"
              rows={4}
              value={note}
              onChange={(e) => setNote(e.target.value)}
              placeholder="Answered the customer manually; primary model was down 14:02–14:09."
            />
          </Field>
          <ErrorNote error={resolve.error} />
          <div className="flex justify-end">
            <Button
              loading={resolve.isPending}
              disabled={!note.trim()}
              onClick={() => resolving && resolve.mutate({ tenantId: t.id, id: resolving, note })}
            >
              Resolve
            </Button>
          </div>
        </div>
      </Dialog>
    </>
  );
}
