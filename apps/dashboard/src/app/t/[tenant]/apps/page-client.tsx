"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Dialog } from "~/components/ui/dialog.tsx";
import { Field, fieldErrors, Input } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { createAppSchema, slugSchema } from "~/lib/schemas/tenancy.ts";
import { useTRPC } from "~/trpc/react.tsx";

export function AppsPageClient() {
  return (
    <RequireScope scope="apps:read">
      <Apps />
    </RequireScope>
  );
}

function Apps() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const apps = useQuery(trpc.apps.list.queryOptions({ tenantId: t.id }));
  const [open, setOpen] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [newEnv, setNewEnv] = useState<Record<string, string>>({});
  const refresh = () => qc.invalidateQueries(trpc.apps.pathFilter());
  const create = useMutation(
    trpc.apps.create.mutationOptions({
      onSuccess: () => {
        setOpen(false);
        return refresh();
      },
    }),
  );
  const addEnv = useMutation(trpc.apps.createEnvironment.mutationOptions({ onSuccess: refresh }));
  const canWrite = t.can("apps:write");
  return (
    <>
      <PageHeader
        title="Apps & environments"
        description="An app is one product or service that calls the gateway; each has environments (development, staging, production or your own), and keys belong to one of them."
        actions={canWrite ? <Button onClick={() => setOpen(true)}>New app</Button> : null}
      />
      <ErrorNote error={addEnv.error} />
      {apps.isPending ? (
        <LoadingRows />
      ) : !apps.data?.length ? (
        <EmptyState
          title="No apps yet"
          action={canWrite ? <Button onClick={() => setOpen(true)}>Create an app</Button> : null}
        />
      ) : (
        <div className="grid gap-4 md:grid-cols-2">
          {apps.data.map((a) => (
            <Card key={a.id} title={a.name} description={<code>{a.slug}</code>}>
              <ul className="divide-y divide-zinc-100">
                {a.environments.map((e) => (
                  <li key={e.id} className="flex items-center justify-between py-2 text-sm">
                    <span className="flex items-center gap-2">
                      <Badge tone={e.name === "production" ? "red" : e.name === "staging" ? "amber" : "zinc"}>
                        {e.name}
                      </Badge>
                    </span>
                    <span className="text-xs text-zinc-500">{e._count.apiKeys} active keys</span>
                  </li>
                ))}
              </ul>
              {canWrite ? (
                <form
                  className="mt-3 flex gap-2"
                  action={() => {
                    const parsed = slugSchema.safeParse(newEnv[a.id] ?? "");
                    if (!parsed.success) return setErrors({ [a.id]: parsed.error.issues[0]?.message ?? "invalid" });
                    setErrors({});
                    addEnv.mutate({ tenantId: t.id, appId: a.id, name: parsed.data });
                    setNewEnv((s) => ({ ...s, [a.id]: "" }));
                  }}
                >
                  <Input
                    aria-label={`New environment for ${a.name}`}
                    placeholder="new environment"
                    value={newEnv[a.id] ?? ""}
                    onChange={(e) => setNewEnv((s) => ({ ...s, [a.id]: e.target.value }))}
                  />
                  <Button type="submit" variant="secondary">
                    Add
                  </Button>
                </form>
              ) : null}
              {errors[a.id] ? <p className="mt-1 text-xs text-red-600">{errors[a.id]}</p> : null}
            </Card>
          ))}
        </div>
      )}
      <Dialog open={open} onClose={() => setOpen(false)} title="New app">
        <form
          className="space-y-4"
          noValidate
          action={(form) => {
            const parsed = createAppSchema.safeParse({
              name: form.get("name"),
              slug: form.get("slug"),
              environments: String(form.get("environments") ?? "")
                .split(",")
                .map((s) => s.trim())
                .filter(Boolean),
            });
            if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
            setErrors({});
            create.mutate({ tenantId: t.id, ...parsed.data });
          }}
        >
          <Field label="Name" htmlFor="app-name" error={errors.name}>
            <Input id="app-name" name="name" placeholder="Support bot" />
          </Field>
          <Field label="Slug" htmlFor="app-slug" error={errors.slug}>
            <Input id="app-slug" name="slug" placeholder="support-bot" />
          </Field>
          <Field
            label="Environments"
            htmlFor="app-envs"
            error={errors.environments ?? errors["environments.0"]}
            hint="Comma-separated"
          >
            <Input id="app-envs" name="environments" defaultValue="development, staging, production" />
          </Field>
          <ErrorNote error={create.error} />
          <div className="flex justify-end">
            <Button type="submit" loading={create.isPending}>
              Create app
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
