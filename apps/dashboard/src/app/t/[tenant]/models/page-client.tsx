"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { RequireScope } from "~/components/shell/require-scope.tsx";
import { useTenant } from "~/components/shell/tenant-context.tsx";
import { Button } from "~/components/ui/button.tsx";
import { Card } from "~/components/ui/card.tsx";
import { Dialog } from "~/components/ui/dialog.tsx";
import { Field, fieldErrors, Input, Select } from "~/components/ui/form.tsx";
import { PageHeader } from "~/components/ui/page-header.tsx";
import { Badge, EmptyState, ErrorNote, LoadingRows } from "~/components/ui/states.tsx";
import { Table, Td, Th } from "~/components/ui/table.tsx";
import { num, usd } from "~/lib/format.ts";
import { MODEL_CAPABILITIES, modelSchema, priceSchema } from "~/lib/schemas/catalog.ts";
import { useTRPC } from "~/trpc/react.tsx";

const perM = (micros: bigint) => usd(micros, 2);

export function ModelsPageClient() {
  return (
    <RequireScope scope="models:read">
      <Models />
    </RequireScope>
  );
}

function Models() {
  const t = useTenant();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.models.list.queryOptions({ tenantId: t.id }));
  const providers = useQuery({
    ...trpc.providers.list.queryOptions({ tenantId: t.id }),
    enabled: t.can("providers:read"),
  });
  const [dialog, setDialog] = useState<"model" | { priceFor: string; name: string } | null>(null);
  const [expanded, setExpanded] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const refresh = () => qc.invalidateQueries(trpc.models.pathFilter());
  const upsert = useMutation(
    trpc.models.upsert.mutationOptions({
      onSuccess: () => {
        setDialog(null);
        return refresh();
      },
    }),
  );
  const addPrice = useMutation(
    trpc.models.addPrice.mutationOptions({
      onSuccess: () => {
        setDialog(null);
        return refresh();
      },
    }),
  );
  const canWrite = t.can("models:write");
  return (
    <>
      <PageHeader
        title="Models & prices"
        description="Model names routes use, the provider model behind each, and prices per million tokens. Prices are versioned by effective date: old requests keep the price they were made at."
        actions={
          canWrite ? (
            <Button
              onClick={() => {
                setErrors({});
                setDialog("model");
              }}
            >
              New model
            </Button>
          ) : null
        }
      />
      <Card padded>
        {list.isPending ? (
          <LoadingRows />
        ) : !list.data?.length ? (
          <EmptyState title="No models yet" />
        ) : (
          <Table>
            <thead>
              <tr>
                <Th>Model</Th>
                <Th>Provider</Th>
                <Th>Context</Th>
                <Th className="text-right">Input /MTok</Th>
                <Th className="text-right">Output /MTok</Th>
                <Th>Price history</Th>
                {canWrite ? <Th /> : null}
              </tr>
            </thead>
            <tbody>
              {list.data.map((m) => (
                <Fragment key={m.id}>
                  <tr>
                    <Td>
                      <div className="font-medium">{m.name}</div>
                      <div className="text-xs text-zinc-500">
                        {m.upstreamModel} · {m.kind}{" "}
                        {m.capabilities.map((c) => (
                          <Badge key={c}>{c}</Badge>
                        ))}
                      </div>
                    </Td>
                    <Td className="text-zinc-600">{m.providerAccount.name}</Td>
                    <Td className="tabular-nums">{num(m.contextWindow)}</Td>
                    <Td className="text-right tabular-nums">
                      {m.currentPrice ? perM(m.currentPrice.inputMicrosPerMTok) : <Badge tone="amber">unpriced</Badge>}
                    </Td>
                    <Td className="text-right tabular-nums">
                      {m.currentPrice ? perM(m.currentPrice.outputMicrosPerMTok) : "—"}
                    </Td>
                    <Td>
                      <Button size="sm" variant="ghost" onClick={() => setExpanded(expanded === m.id ? null : m.id)}>
                        {m.prices.length} version{m.prices.length === 1 ? "" : "s"}
                      </Button>
                    </Td>
                    {canWrite ? (
                      <Td className="text-right">
                        <Button
                          size="sm"
                          variant="secondary"
                          onClick={() => {
                            setErrors({});
                            setDialog({ priceFor: m.id, name: m.name });
                          }}
                        >
                          New price
                        </Button>
                      </Td>
                    ) : null}
                  </tr>
                  {expanded === m.id ? (
                    <tr>
                      <td colSpan={7} className="bg-zinc-50 px-4 py-2">
                        <ul className="text-xs text-zinc-600">
                          {m.prices.map((p) => (
                            <li key={p.id}>
                              from {new Date(p.effectiveFrom).toLocaleString("en-GB")}: in {perM(p.inputMicrosPerMTok)}{" "}
                              · out {perM(p.outputMicrosPerMTok)} · cached {perM(p.cachedInputMicrosPerMTok)}
                              {m.currentPrice?.id === p.id ? " (in force)" : ""}
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      <Dialog open={dialog === "model"} onClose={() => setDialog(null)} title="New model">
        <form
          className="grid gap-4 sm:grid-cols-2"
          noValidate
          action={(form) => {
            const parsed = modelSchema.safeParse({
              ...Object.fromEntries(
                ["name", "providerAccountId", "upstreamModel", "kind", "contextWindow", "maxOutputTokens"].map((k) => [
                  k,
                  form.get(k) ?? "",
                ]),
              ),
              capabilities: form.getAll("capabilities"),
            });
            if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
            setErrors({});
            upsert.mutate({ tenantId: t.id, ...parsed.data });
          }}
        >
          <Field label="Name" htmlFor="m-name" error={errors.name} hint="What routes and keys refer to">
            <Input id="m-name" name="name" placeholder="fast-chat" />
          </Field>
          <Field label="Provider account" htmlFor="m-prov" error={errors.providerAccountId}>
            <Select id="m-prov" name="providerAccountId">
              {providers.data?.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Provider model id" htmlFor="m-up" error={errors.upstreamModel}>
            <Input id="m-up" name="upstreamModel" placeholder="gpt-4o-mini" />
          </Field>
          <Field label="Kind" htmlFor="m-kind">
            <Select id="m-kind" name="kind">
              <option>chat</option>
              <option>embedding</option>
            </Select>
          </Field>
          <Field label="Context window" htmlFor="m-ctx" error={errors.contextWindow}>
            <Input id="m-ctx" name="contextWindow" defaultValue="128000" inputMode="numeric" />
          </Field>
          <Field label="Max output tokens" htmlFor="m-out" error={errors.maxOutputTokens}>
            <Input id="m-out" name="maxOutputTokens" defaultValue="4096" inputMode="numeric" />
          </Field>
          <fieldset className="sm:col-span-2">
            <legend className="mb-1 text-xs font-medium text-zinc-700">Capabilities</legend>
            <div className="flex flex-wrap gap-2">
              {MODEL_CAPABILITIES.map((c) => (
                <label
                  key={c}
                  className="inline-flex items-center gap-1.5 rounded-lg px-2 py-1 text-sm ring-1 ring-zinc-200"
                >
                  <input type="checkbox" name="capabilities" value={c} /> {c}
                </label>
              ))}
            </div>
          </fieldset>
          <div className="sm:col-span-2">
            <ErrorNote error={upsert.error} />
          </div>
          <div className="flex justify-end sm:col-span-2">
            <Button type="submit" loading={upsert.isPending}>
              Create model
            </Button>
          </div>
        </form>
      </Dialog>
      <Dialog
        open={typeof dialog === "object" && dialog !== null}
        onClose={() => setDialog(null)}
        title={`New price for ${typeof dialog === "object" && dialog ? dialog.name : ""}`}
      >
        <form
          className="grid gap-4 sm:grid-cols-2"
          noValidate
          action={(form) => {
            if (typeof dialog !== "object" || !dialog) return;
            const parsed = priceSchema.safeParse({
              modelId: dialog.priceFor,
              ...Object.fromEntries(
                ["effectiveFrom", "inputPerMTok", "outputPerMTok", "cachedInputPerMTok"].map((k) => [
                  k,
                  form.get(k) ?? "",
                ]),
              ),
            });
            if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
            setErrors({});
            addPrice.mutate({ tenantId: t.id, ...parsed.data });
          }}
        >
          <Field label="Effective from" htmlFor="pr-from" error={errors.effectiveFrom} className="sm:col-span-2">
            <Input
              id="pr-from"
              name="effectiveFrom"
              type="datetime-local"
              defaultValue={new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16)}
            />
          </Field>
          <Field label="Input $ / MTok" htmlFor="pr-in" error={errors.inputPerMTok}>
            <Input id="pr-in" name="inputPerMTok" inputMode="decimal" />
          </Field>
          <Field label="Output $ / MTok" htmlFor="pr-out" error={errors.outputPerMTok}>
            <Input id="pr-out" name="outputPerMTok" inputMode="decimal" />
          </Field>
          <Field label="Cached input $ / MTok" htmlFor="pr-c" error={errors.cachedInputPerMTok}>
            <Input id="pr-c" name="cachedInputPerMTok" defaultValue="0" inputMode="decimal" />
          </Field>
          <div className="sm:col-span-2">
            <ErrorNote error={addPrice.error} />
          </div>
          <div className="flex justify-end sm:col-span-2">
            <Button type="submit" loading={addPrice.isPending}>
              Add price
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
