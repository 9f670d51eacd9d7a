"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ROLES } from "@gateway/policy/scopes";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { CopyButton } from "~/components/ui/copy-button.tsx";
import { Field, fieldErrors, Input, Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { Table, Td, Th } from "~/components/ui/table.tsx";
import { dateTime } from "~/lib/format.ts";
import { inviteSchema } from "~/lib/schemas/tenancy.ts";
import { useTRPC } from "~/trpc/react.tsx";

export const ROLE_DESCRIPTIONS: Record<(typeof ROLES)[number], string> = {
  owner: "Everything, including other owners.",
  admin: "Everything except changing owners.",
  platform: "Apps, environments, keys, providers, models, rate limits, alerts.",
  product: "Routes, risk levels, fallback, budgets, the review queue, request bodies.",
  finance: "Cost dashboards and CSV exports; read-only elsewhere, no keys.",
  viewer: "Read-only: no changes, no keys' secrets, no audit log.",
};

export function MembersPageClient() {
  return (
    <RequireScope scope="members:read">
      <Members />
    </RequireScope>
  );
}

function Members() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.members.list.queryOptions({ tenantId: t.id }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [invite, setInvite] = useState<{ token: string; email: string } | null>(null);
  const refresh = () => qc.invalidateQueries(trpc.members.pathFilter());
  const create = useMutation(
    trpc.members.invite.mutationOptions({
      onSuccess: (r) => {
        setInvite({ token: r.token, email: r.invitation.email });
        return refresh();
      },
    }),
  );
  const changeRole = useMutation(trpc.members.changeRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.members.revokeInvitation.mutationOptions({ onSuccess: refresh }));
  const manage = t.can("members:manage");
  const inviteUrl = invite ? `${window.location.origin}/sign-up?invite=${encodeURIComponent(invite.token)}` : "";
  return (
    <>
      <PageHeader title="Members" description="People in this tenant and what their role lets them do." />
      <ErrorNote error={changeRole.error ?? remove.error ?? revoke.error} />
      <div className="grid gap-6 xl:grid-cols-[1fr_360px]">
        <Card title="Members" padded>
          {list.isPending ? (
            <LoadingRows />
          ) : (
            <Table>
              <thead>
                <tr>
                  <Th>Person</Th>
                  <Th>Role</Th>
                  <Th>Since</Th>
                  {manage ? <Th /> : null}
                </tr>
              </thead>
              <tbody>
                {list.data?.members.map((m) => (
                  <tr key={m.id}>
                    <Td>
                      <div className="font-medium">{m.user.name ?? m.user.email}</div>
                      <div className="text-xs text-zinc-500">{m.user.email}</div>
                    </Td>
                    <Td>
                      {manage ? (
                        <Select
                          aria-label={`Role of ${m.user.email}`}
                          className="w-32"
                          value={m.role}
                          onChange={(e) =>
                            changeRole.mutate({
                              tenantId: t.id,
                              membershipId: m.id,
                              role: e.target.value as (typeof ROLES)[number],
                            })
                          }
                        >
                          {ROLES.map((r) => (
                            <option key={r}>{r}</option>
                          ))}
                        </Select>
                      ) : (
                        <Badge>{m.role}</Badge>
                      )}
                    </Td>
                    <Td className="text-zinc-600">{dateTime(m.createdAt)}</Td>
                    {manage ? (
                      <Td className="text-right">
                        <Button
                          size="sm"
                          variant="danger"
                          onClick={() =>
                            confirm(`Remove ${m.user.email}?`) && remove.mutate({ tenantId: t.id, membershipId: m.id })
                          }
                        >
                          Remove
                        </Button>
                      </Td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
          {list.data?.invitations.length ? (
            <>
              <h3 className="mt-6 mb-2 text-xs font-medium text-zinc-500">Pending invitations</h3>
              <ul className="divide-y divide-zinc-100 text-sm">
                {list.data.invitations.map((i) => (
                  <li key={i.id} className="flex items-center justify-between py-2">
                    <span>
                      {i.email} <Badge>{i.role}</Badge>{" "}
                      <span className="text-xs text-zinc-500">expires {dateTime(i.expiresAt)}</span>
                    </span>
                    {manage ? (
                      <Button size="sm" variant="ghost" onClick={() => revoke.mutate({ tenantId: t.id, id: i.id })}>
                        Revoke
                      </Button>
                    ) : null}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </Card>
        <div className="space-y-6">
          {manage ? (
            <Card title="Invite someone">
              {invite ? (
                <div className="space-y-3 text-sm">
                  <p>Send this link to {invite.email}. It is shown once and works for 7 days.</p>
                  <div className="flex items-center gap-2">
                    <code
                      className="min-w-0 flex-1 truncate rounded bg-zinc-100 px-2 py-1 text-xs"
                      data-testid="invite-link"
                    >
                      {inviteUrl}
                    </code>
                    <CopyButton value={inviteUrl} />
                  </div>
                  <Button size="sm" variant="secondary" onClick={() => setInvite(null)}>
                    Invite another
                  </Button>
                </div>
              ) : (
                <form
                  className="space-y-3"
                  noValidate
                  action={(form) => {
                    const parsed = inviteSchema.safeParse({ email: form.get("email"), role: form.get("role") });
                    if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
                    setErrors({});
                    create.mutate({ tenantId: t.id, ...parsed.data });
                  }}
                >
                  <Field label="Email" htmlFor="inv-email" error={errors.email}>
                    <Input id="inv-email" name="email" type="email" />
                  </Field>
                  <Field label="Role" htmlFor="inv-role">
                    <Select id="inv-role" name="role" defaultValue="viewer">
                      {ROLES.filter((r) => r !== "owner" || t.role === "owner").map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </Select>
                  </Field>
                  <ErrorNote error={create.error} />
                  <Button type="submit" loading={create.isPending}>
                    Create invitation
                  </Button>
                </form>
              )}
            </Card>
          ) : null}
          <Card title="Roles">
            <dl className="space-y-2 text-sm">
              {ROLES.map((r) => (
                <div key={r}>
                  <dt className="font-medium">{r}</dt>
                  <dd className="text-xs text-zinc-500">{ROLE_DESCRIPTIONS[r]}</dd>
                </div>
              ))}
            </dl>
          </Card>
        </div>
      </div>
    </>
  );
}
