"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Field, fieldErrors, Input, Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { tenantSettingsSchema } from "~/lib/schemas/tenancy.ts";
import { useTRPC } from "~/trpc/react.tsx";

export function SettingsPageClient() {
  return (
    <RequireScope scope="tenant:read">
      <Settings />
    </RequireScope>
  );
}

function Settings() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const tenant = useQuery(trpc.tenant.get.queryOptions({ tenantId: t.id }));
  const backend = useQuery({
    ...trpc.routes.semanticBackend.queryOptions({ tenantId: t.id }),
    enabled: t.can("routes:read"),
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.tenant.update.mutationOptions({
      onSuccess: () => {
        setSaved(true);
        return qc.invalidateQueries(trpc.tenant.pathFilter());
      },
    }),
  );
  const canWrite = t.can("tenant:update");
  if (tenant.isPending) return <LoadingRows />;
  if (tenant.error) return <ErrorNote error={tenant.error} />;
  const d = tenant.data;
  return (
    <>
      <PageHeader
        title="Settings"
        description={`Tenant ${d.slug}. How the gateway treats this tenant's data and what it does when Redis is unreachable.`}
      />
      <Card>
        <form
          className="grid max-w-2xl gap-4 sm:grid-cols-2"
          noValidate
          action={(form) => {
            const parsed = tenantSettingsSchema.safeParse({
              name: form.get("name"),
              timeZone: form.get("timeZone"),
              logBodies: form.get("logBodies") === "on",
              retentionDays: Number(form.get("retentionDays")),
              bodyRetentionDays: Number(form.get("bodyRetentionDays")),
              budgetFailMode: form.get("budgetFailMode"),
              rateLimitFailMode: form.get("rateLimitFailMode"),
            });
            if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
            setErrors({});
            setSaved(false);
            update.mutate({ tenantId: t.id, ...parsed.data });
          }}
        >
          <fieldset disabled={!canWrite} className="contents">
            <Field label="Name" htmlFor="s-name" error={errors.name}>
              <Input id="s-name" name="name" defaultValue={d.name} />
            </Field>
            <Field
              label="Time zone"
              htmlFor="s-tz"
              error={errors.timeZone}
              hint="Budget days, weeks and months follow it."
            >
              <Input id="s-tz" name="timeZone" defaultValue={d.timeZone} />
            </Field>
            <Field label="Request log retention (days)" htmlFor="s-ret" error={errors.retentionDays}>
              <Input id="s-ret" name="retentionDays" defaultValue={d.retentionDays} inputMode="numeric" />
            </Field>
            <Field label="Body retention (days)" htmlFor="s-bret" error={errors.bodyRetentionDays}>
              <Input id="s-bret" name="bodyRetentionDays" defaultValue={d.bodyRetentionDays} inputMode="numeric" />
            </Field>
            <Field label="Budgets when Redis is down" htmlFor="s-bfm">
              <Select id="s-bfm" name="budgetFailMode" defaultValue={d.budgetFailMode}>
                <option value="closed">fail closed (refuse)</option>
                <option value="open">fail open (serve)</option>
              </Select>
            </Field>
            <Field label="Rate limits when Redis is down" htmlFor="s-rfm">
              <Select id="s-rfm" name="rateLimitFailMode" defaultValue={d.rateLimitFailMode}>
                <option value="open">fail open (serve)</option>
                <option value="closed">fail closed (refuse)</option>
              </Select>
            </Field>
            <label className="flex items-center gap-2 text-sm sm:col-span-2">
              <input type="checkbox" name="logBodies" defaultChecked={d.logBodies} /> Keep prompt and response bodies on
              request logs
            </label>
          </fieldset>
          <div className="sm:col-span-2">
            <ErrorNote error={update.error} />
            {saved ? (
              <p className="text-sm text-emerald-700" role="status">
                Saved.
              </p>
            ) : null}
          </div>
          {canWrite ? (
            <div className="sm:col-span-2">
              <Button type="submit" loading={update.isPending}>
                Save settings
              </Button>
            </div>
          ) : (
            <p className="text-xs text-zinc-500 sm:col-span-2">Read-only for your role.</p>
          )}
        </form>
      </Card>
      {backend.data ? (
        <Card className="mt-6" title="Semantic cache backend" description="Detected from this deployment's database.">
          <div className="flex flex-wrap items-center gap-2 text-sm" data-testid="semantic-backend-settings">
            <Badge tone={backend.data.kind === "pgvector" ? "green" : "amber"}>{backend.data.label}</Badge>
            <span className="text-zinc-500">{backend.data.reason}</span>
          </div>
        </Card>
      ) : null}
    </>
  );
}
