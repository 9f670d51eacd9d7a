"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Dialog } from "~/components/ui/dialog.tsx";
import { Field, fieldErrors, Input, Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { Table, Td, Th } from "~/components/ui/table.tsx";
import { dateTime } from "~/lib/format.ts";
import { PROVIDER_KINDS, providerSchema } from "~/lib/schemas/catalog.ts";
import { useTRPC } from "~/trpc/react.tsx";

type Row = {
  id: string;
  name: string;
  kind: (typeof PROVIDER_KINDS)[number];
  baseUrl: string | null;
  authStyle: string;
  apiVersion: string | null;
};

export function ProvidersPageClient() {
  return (
    <RequireScope scope="providers:read">
      <Providers />
    </RequireScope>
  );
}

function Providers() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.providers.list.queryOptions({ tenantId: t.id }));
  const [editing, setEditing] = useState<Row | "new" | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const upsert = useMutation(
    trpc.providers.upsert.mutationOptions({
      onSuccess: () => {
        setEditing(null);
        return qc.invalidateQueries(trpc.providers.pathFilter());
      },
    }),
  );
  const canWrite = t.can("providers:write");
  const row = editing && editing !== "new" ? editing : null;
  return (
    <>
      <PageHeader
        title="Provider accounts"
        description="Where the gateway sends calls. Credentials are encrypted at rest (AES-256-GCM) and write-only: nobody can read them back here."
        actions={
          canWrite ? (
            <Button
              onClick={() => {
                setErrors({});
                setEditing("new");
              }}
            >
              New account
            </Button>
          ) : null
        }
      />
      <Card padded>
        {list.isPending ? (
          <LoadingRows />
        ) : !list.data?.length ? (
          <EmptyState title="No provider accounts">
            Add an OpenAI, Anthropic, Gemini or OpenAI-compatible account.
          </EmptyState>
        ) : (
          <Table>
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Kind</Th>
                <Th>Base URL</Th>
                <Th>Credential</Th>
                <Th>Models</Th>
                <Th>Updated</Th>
                {canWrite ? <Th /> : null}
              </tr>
            </thead>
            <tbody>
              {list.data.map((p) => (
                <tr key={p.id}>
                  <Td className="font-medium">{p.name}</Td>
                  <Td>
                    <Badge>{p.kind}</Badge>
                  </Td>
                  <Td className="max-w-56 truncate text-xs text-zinc-600">{p.baseUrl ?? "default"}</Td>
                  <Td>
                    {p.hasCredential ? (
                      <Badge tone="green">{p.credentialsEnv ? `from $${p.credentialsEnv}` : "set"}</Badge>
                    ) : (
                      <Badge tone="amber">missing</Badge>
                    )}
                  </Td>
                  <Td>{p._count.models}</Td>
                  <Td className="text-zinc-600">{dateTime(p.updatedAt)}</Td>
                  {canWrite ? (
                    <Td className="text-right">
                      <Button
                        size="sm"
                        variant="secondary"
                        onClick={() => {
                          setErrors({});
                          setEditing(p);
                        }}
                      >
                        Edit
                      </Button>
                    </Td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      <Dialog
        open={editing !== null}
        onClose={() => setEditing(null)}
        title={row ? `Edit ${row.name}` : "New provider account"}
      >
        <form
          key={row?.id ?? "new"}
          className="grid gap-4 sm:grid-cols-2"
          noValidate
          action={(form) => {
            const parsed = providerSchema.safeParse(
              Object.fromEntries(
                ["name", "kind", "baseUrl", "authStyle", "apiVersion", "credential"].map((k) => [k, form.get(k) ?? ""]),
              ),
            );
            if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
            setErrors({});
            upsert.mutate({ tenantId: t.id, ...parsed.data, ...(row ? { id: row.id } : {}) });
          }}
        >
          <Field label="Name" htmlFor="p-name" error={errors.name}>
            <Input id="p-name" name="name" defaultValue={row?.name} />
          </Field>
          <Field label="Kind" htmlFor="p-kind">
            <Select id="p-kind" name="kind" defaultValue={row?.kind ?? "openai"}>
              {PROVIDER_KINDS.map((k) => (
                <option key={k}>{k}</option>
              ))}
            </Select>
          </Field>
          <Field
            label="Base URL"
            htmlFor="p-url"
            error={errors.baseUrl}
            hint="Required for OpenAI-compatible (Azure, vLLM, Ollama…)"
            className="sm:col-span-2"
          >
            <Input
              id="p-url"
              name="baseUrl"
              defaultValue={row?.baseUrl ?? ""}
              placeholder="https://api.example.com/v1"
            />
          </Field>
          <Field label="Auth style" htmlFor="p-auth">
            <Select id="p-auth" name="authStyle" defaultValue={row?.authStyle ?? "bearer"}>
              <option value="bearer">Authorization: Bearer</option>
              <option value="api-key">api-key header (Azure)</option>
            </Select>
          </Field>
          <Field label="API version" htmlFor="p-ver" error={errors.apiVersion}>
            <Input id="p-ver" name="apiVersion" defaultValue={row?.apiVersion ?? ""} />
          </Field>
          <Field
            label="API key"
            htmlFor="p-cred"
            error={errors.credential}
            hint={row ? "Leave empty to keep the stored key." : "Stored encrypted; never shown again."}
            className="sm:col-span-2"
          >
            <Input id="p-cred" name="credential" type="password" autoComplete="off" />
          </Field>
          <div className="sm:col-span-2">
            <ErrorNote error={upsert.error} />
          </div>
          <div className="flex justify-end sm:col-span-2">
            <Button type="submit" loading={upsert.isPending}>
              Save
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
