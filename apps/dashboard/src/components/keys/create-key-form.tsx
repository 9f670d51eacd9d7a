"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Field, fieldErrors, Input, Select } from "~/components/ui/form.tsx";
import { ErrorNote } from "~/components/ui/states.tsx";
import { BUDGET_PERIODS, createKeySchema } from "~/lib/schemas/keys.ts";
import { useTRPC } from "~/trpc/react.tsx";

export function CreateKeyForm({ onCreated }: { onCreated: (k: { secret: string; name: string }) => void }) {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const apps = useQuery(trpc.apps.list.queryOptions({ tenantId: t.id }));
  const routes = useQuery(trpc.routes.list.queryOptions({ tenantId: t.id }));
  const models = useQuery(trpc.models.list.queryOptions({ tenantId: t.id }));
  const [appId, setAppId] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation(
    trpc.keys.create.mutationOptions({
      onSuccess: async (k) => {
        await qc.invalidateQueries(trpc.keys.pathFilter());
        onCreated({ secret: k.secret, name: k.name });
      },
    }),
  );
  const app = apps.data?.find((a) => a.id === appId) ?? apps.data?.[0];

  function submit(form: FormData) {
    const raw = {
      name: form.get("name"),
      appId: form.get("appId"),
      environmentId: form.get("environmentId"),
      allowedRoutes: form.getAll("allowedRoutes").map(String),
      allowedModels: form.getAll("allowedModels").map(String),
      rpm: form.get("rpm"),
      tpm: form.get("tpm"),
      expiresInDays: form.get("expiresInDays"),
      budgetDollars: form.get("budgetDollars"),
      budgetPeriod: form.get("budgetPeriod"),
    };
    // The same schema the server parses with: the browser shows exactly the errors the server would.
    const parsed = createKeySchema.safeParse(raw);
    if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
    setErrors({});
    create.mutate({ tenantId: t.id, ...parsed.data });
  }

  if (apps.data && apps.data.length === 0) {
    return (
      <p className="text-sm text-zinc-600">Create an app first: keys belong to an app and one of its environments.</p>
    );
  }

  return (
    <form action={submit} className="grid gap-4 sm:grid-cols-2" noValidate>
      <Field label="Name" htmlFor="key-name" error={errors.name} className="sm:col-span-2">
        <Input id="key-name" name="name" placeholder="support-bot production" aria-invalid={Boolean(errors.name)} />
      </Field>
      <Field label="App" htmlFor="key-app" error={errors.appId}>
        <Select id="key-app" name="appId" value={app?.id ?? ""} onChange={(e) => setAppId(e.target.value)}>
          {apps.data?.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Environment" htmlFor="key-env" error={errors.environmentId}>
        <Select id="key-env" name="environmentId" key={app?.id}>
          {app?.environments.map((e) => (
            <option key={e.id} value={e.id}>
              {e.name}
            </option>
          ))}
        </Select>
      </Field>
      <fieldset className="sm:col-span-2">
        <legend className="mb-1 text-xs font-medium text-zinc-700">Allowed routes (none ticked = every route)</legend>
        <div className="flex flex-wrap gap-2">
          {routes.data?.map((r) => (
            <label
              key={r.id}
              className="inline-flex items-center gap-1.5 rounded-lg px-2 py-1 text-sm ring-1 ring-zinc-200"
            >
              <input type="checkbox" name="allowedRoutes" value={r.name} /> {r.name}
            </label>
          ))}
          {routes.data?.length === 0 ? <span className="text-xs text-zinc-500">No routes yet.</span> : null}
        </div>
      </fieldset>
      <fieldset className="sm:col-span-2">
        <legend className="mb-1 text-xs font-medium text-zinc-700">
          Models it may call directly (none ticked = routes only)
        </legend>
        <div className="flex flex-wrap gap-2">
          {models.data?.map((m) => (
            <label
              key={m.id}
              className="inline-flex items-center gap-1.5 rounded-lg px-2 py-1 text-sm ring-1 ring-zinc-200"
            >
              <input type="checkbox" name="allowedModels" value={m.name} /> {m.name}
            </label>
          ))}
        </div>
      </fieldset>
      <Field label="Requests per minute" htmlFor="key-rpm" error={errors.rpm} hint="Empty = no key limit">
        <Input id="key-rpm" name="rpm" inputMode="numeric" />
      </Field>
      <Field label="Tokens per minute" htmlFor="key-tpm" error={errors.tpm} hint="Empty = no key limit">
        <Input id="key-tpm" name="tpm" inputMode="numeric" />
      </Field>
      <Field label="Expires in (days)" htmlFor="key-exp" error={errors.expiresInDays} hint="Empty = never">
        <Input id="key-exp" name="expiresInDays" inputMode="numeric" />
      </Field>
      <div className="grid grid-cols-[1fr_auto] gap-2">
        <Field label="Budget (USD)" htmlFor="key-budget" error={errors.budgetDollars} hint="Hard limit; empty = none">
          <Input id="key-budget" name="budgetDollars" inputMode="decimal" />
        </Field>
        <Field label="per" htmlFor="key-period">
          <Select id="key-period" name="budgetPeriod" defaultValue="month">
            {BUDGET_PERIODS.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </Select>
        </Field>
      </div>
      <div className="sm:col-span-2">
        <ErrorNote error={create.error} />
      </div>
      <div className="flex justify-end sm:col-span-2">
        <Button type="submit" loading={create.isPending}>
          Create key
        </Button>
      </div>
    </form>
  );
}
