"use client";
// Edits one route version. The form parses with routeVersionSpecSchema — the schema the server, the config
// file and the proxy use — so an error shows here, next to its field, before anything is saved.
import { useState } from "react";
import { RISK_LEVELS, routeVersionSpecSchema, type RouteVersionSpec } from "@gateway/policy/route-spec";
import { Button } from "~/components/ui/button.tsx";
import { Field, fieldErrors, Input, Select, Textarea } from "~/components/ui/form.tsx";
import { Badge, ErrorNote } from "~/components/ui/states.tsx";
import { RiskTable } from "./risk-table.tsx";
import { TargetList } from "./target-list.tsx";

const GUARDRAILS_EXAMPLE = JSON.stringify(
  {
    input: {
      pii: { action: "redact", kinds: ["email", "phone", "card"] },
      bannedPatterns: [{ name: "codename", pattern: "project\\s+falcon", action: "block" }],
      injection: { threshold: 0.7, action: "block" },
    },
    output: { pii: { action: "redact" }, streamMode: "buffer" },
  },
  null,
  2,
);

function numOrNull(s: string): number | null {
  return s.trim() === "" ? null : Number(s);
}

export function RouteEditor({
  initial,
  models,
  embeddingModels = [],
  semanticBackend,
  disabled,
  saving,
  error,
  submitLabel = "Save new version",
  onSave,
}: {
  initial: RouteVersionSpec;
  models: string[];
  /** The tenant's embedding models, offered for the semantic cache. */
  embeddingModels?: string[];
  /** Which semantic cache index the proxies use on this database (shown beside the semantic cache fields). */
  semanticBackend?: { kind: "pgvector" | "exact"; label: string; reason: string } | undefined;
  disabled?: boolean;
  saving?: boolean;
  error?: { message: string } | null;
  submitLabel?: string;
  onSave: (spec: RouteVersionSpec, note: string) => void;
}) {
  const [spec, setSpec] = useState<RouteVersionSpec>(initial);
  const [validatorText, setValidatorText] = useState(
    initial.validator ? JSON.stringify(initial.validator, null, 2) : "",
  );
  const [rulesText, setRulesText] = useState(
    initial.upgradeRules.length ? JSON.stringify(initial.upgradeRules, null, 2) : "",
  );
  const [guardrailsText, setGuardrailsText] = useState(
    initial.guardrails ? JSON.stringify(initial.guardrails, null, 2) : "",
  );
  // Text fields so a half-typed number is not coerced while editing; the schema parses them on save.
  const [sc, setSc] = useState({
    enabled: initial.semanticCache?.enabled ?? false,
    embeddingModel: initial.semanticCache?.embeddingModel ?? "",
    threshold: String(initial.semanticCache?.threshold ?? 0.97),
    maxEntries: String(initial.semanticCache?.maxEntries ?? 5000),
  });
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = <K extends keyof RouteVersionSpec>(k: K, v: RouteVersionSpec[K]) => setSpec((s) => ({ ...s, [k]: v }));

  function save() {
    const errs: Record<string, string> = {};
    let validator: unknown = null;
    let upgradeRules: unknown = [];
    let guardrails: unknown = null;
    try {
      validator = validatorText.trim() ? JSON.parse(validatorText) : null;
    } catch {
      errs.validator = "not valid JSON";
    }
    try {
      upgradeRules = rulesText.trim() ? JSON.parse(rulesText) : [];
    } catch {
      errs.upgradeRules = "not valid JSON";
    }
    try {
      guardrails = guardrailsText.trim() ? JSON.parse(guardrailsText) : null;
    } catch {
      errs.guardrails = "not valid JSON";
    }
    if (sc.enabled && !sc.embeddingModel) errs.semanticCache = "semanticCache.embeddingModel: pick an embedding model";
    if (Object.keys(errs).length) return setErrors(errs);
    // Turned off but configured: keep the settings (enabled: false) so turning it back on restores them.
    const semanticCache = sc.embeddingModel
      ? {
          enabled: sc.enabled,
          embeddingModel: sc.embeddingModel,
          threshold: Number(sc.threshold),
          maxEntries: Number(sc.maxEntries),
        }
      : null;
    const parsed = routeVersionSpecSchema.safeParse({ ...spec, validator, upgradeRules, guardrails, semanticCache });
    if (!parsed.success) {
      const byField = fieldErrors(parsed.error.issues);
      // Nested paths (targets.1.model) are reported on their top-level field.
      const top: Record<string, string> = {};
      for (const [k, v] of Object.entries(byField)) top[k.split(".")[0]!] ??= `${k}: ${v}`;
      return setErrors(top);
    }
    setErrors({});
    onSave(parsed.data, note);
  }

  return (
    <div className="space-y-6" data-testid="route-editor">
      <section>
        <h3 className="mb-2 text-sm font-semibold">Risk level</h3>
        <div className="mb-3 flex gap-2" role="radiogroup" aria-label="Risk level">
          {RISK_LEVELS.map((r) => (
            <label
              key={r}
              className={`cursor-pointer rounded-lg px-3 py-1.5 text-sm ring-1 ${spec.riskLevel === r ? "bg-zinc-900 text-white ring-zinc-900" : "bg-white ring-zinc-200"}`}
            >
              <input
                type="radio"
                name="riskLevel"
                value={r}
                className="sr-only"
                checked={spec.riskLevel === r}
                disabled={disabled}
                onChange={() => set("riskLevel", r)}
              />
              {r}
            </label>
          ))}
        </div>
        <RiskTable highlight={spec.riskLevel} />
      </section>

      <section>
        <h3 className="mb-2 text-sm font-semibold">Targets, in order</h3>
        <TargetList value={spec.targets} onChange={(v) => set("targets", v)} models={models} disabled={disabled} />
        {errors.targets ? <p className="mt-1 text-xs text-red-600">{errors.targets}</p> : null}
      </section>

      <section className="grid gap-4 sm:grid-cols-3">
        <Field label="Retries" htmlFor="retryLimit" error={errors.retryLimit} hint="0–5, per target">
          <Input
            id="retryLimit"
            inputMode="numeric"
            disabled={disabled}
            value={spec.retryLimit}
            onChange={(e) => set("retryLimit", Number(e.target.value))}
          />
        </Field>
        <Field label="Total timeout (ms)" htmlFor="totalTimeoutMs" error={errors.totalTimeoutMs}>
          <Input
            id="totalTimeoutMs"
            inputMode="numeric"
            disabled={disabled}
            value={spec.totalTimeoutMs}
            onChange={(e) => set("totalTimeoutMs", Number(e.target.value))}
          />
        </Field>
        <Field label="Time to first token (ms)" htmlFor="ttftTimeoutMs" error={errors.ttftTimeoutMs}>
          <Input
            id="ttftTimeoutMs"
            inputMode="numeric"
            disabled={disabled}
            value={spec.ttftTimeoutMs}
            onChange={(e) => set("ttftTimeoutMs", Number(e.target.value))}
          />
        </Field>
        <Field
          label="Max input tokens"
          htmlFor="maxInputTokens"
          error={errors.maxInputTokens}
          hint="Empty = model's window"
        >
          <Input
            id="maxInputTokens"
            inputMode="numeric"
            disabled={disabled}
            value={spec.maxInputTokens ?? ""}
            onChange={(e) => set("maxInputTokens", numOrNull(e.target.value))}
          />
        </Field>
        <Field
          label="Max output tokens"
          htmlFor="maxOutputTokens"
          error={errors.maxOutputTokens}
          hint="Caps spend per call"
        >
          <Input
            id="maxOutputTokens"
            inputMode="numeric"
            disabled={disabled}
            value={spec.maxOutputTokens ?? ""}
            onChange={(e) => set("maxOutputTokens", numOrNull(e.target.value))}
          />
        </Field>
        <Field label="Cache TTL (s)" htmlFor="cacheTtlSeconds" error={errors.cacheTtlSeconds} hint="0 = no exact cache">
          <Input
            id="cacheTtlSeconds"
            inputMode="numeric"
            disabled={disabled}
            value={spec.cacheTtlSeconds}
            onChange={(e) => set("cacheTtlSeconds", Number(e.target.value))}
          />
        </Field>
      </section>

      <section className="grid gap-4 lg:grid-cols-2">
        <Field
          label="Output validator (JSON schema)"
          htmlFor="validator"
          error={errors.validator}
          hint="Medium risk only falls back to outputs that pass it. Empty = none."
        >
          <Textarea
            id="validator"
            rows={8}
            disabled={disabled}
            value={validatorText}
            onChange={(e) => setValidatorText(e.target.value)}
            placeholder='{"type":"object","required":["summary"]}'
          />
        </Field>
        <Field
          label="Upgrade rules (JSON)"
          htmlFor="upgradeRules"
          error={errors.upgradeRules}
          hint='[{"when":{"inputTokensOver":8000},"targets":[{"model":"big"}]}]'
        >
          <Textarea
            id="upgradeRules"
            rows={8}
            disabled={disabled}
            value={rulesText}
            onChange={(e) => setRulesText(e.target.value)}
            placeholder="[]"
          />
        </Field>
      </section>

      <section data-testid="semantic-cache-fields">
        <div className="mb-2 flex flex-wrap items-center gap-2">
          <h3 className="text-sm font-semibold">Semantic cache</h3>
          {semanticBackend ? (
            <span title={semanticBackend.reason} data-testid="semantic-backend">
              <Badge tone={semanticBackend.kind === "pgvector" ? "green" : "amber"}>{semanticBackend.label}</Badge>
            </span>
          ) : null}
        </div>
        <p className="mb-3 text-xs text-zinc-500">
          Serves a stored answer to a prompt that means the same as an earlier one (cosine similarity of their
          embeddings at or above the threshold). Entries live for the cache TTL above, or a day when it is 0.
        </p>
        <label className="mb-3 flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            id="semanticCacheEnabled"
            disabled={disabled}
            checked={sc.enabled}
            onChange={(e) => setSc((v) => ({ ...v, enabled: e.target.checked }))}
          />
          Answer similar prompts from the cache
        </label>
        {sc.enabled || sc.embeddingModel ? (
          <div className="grid gap-4 sm:grid-cols-3">
            <Field
              label="Embedding model"
              htmlFor="embeddingModel"
              error={errors.semanticCache}
              hint={embeddingModels.length ? undefined : "No embedding models yet: add one on the Models page."}
            >
              <Select
                id="embeddingModel"
                disabled={disabled}
                value={sc.embeddingModel}
                onChange={(e) => setSc((v) => ({ ...v, embeddingModel: e.target.value }))}
              >
                <option value="">choose…</option>
                {[...new Set([...embeddingModels, ...(sc.embeddingModel ? [sc.embeddingModel] : [])])].map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </Select>
            </Field>
            <Field label="Similarity threshold" htmlFor="semanticThreshold" hint="0–1; 0.97 is strict">
              <Input
                id="semanticThreshold"
                inputMode="decimal"
                disabled={disabled}
                value={sc.threshold}
                onChange={(e) => setSc((v) => ({ ...v, threshold: e.target.value }))}
              />
            </Field>
            <Field label="Max entries" htmlFor="semanticMaxEntries" hint="Per route version">
              <Input
                id="semanticMaxEntries"
                inputMode="numeric"
                disabled={disabled}
                value={sc.maxEntries}
                onChange={(e) => setSc((v) => ({ ...v, maxEntries: e.target.value }))}
              />
            </Field>
          </div>
        ) : null}
      </section>

      <section>
        <Field
          label="Guardrails (JSON)"
          htmlFor="guardrails"
          error={errors.guardrails}
          hint={
            <>
              Input and output checks: PII (redact, block or log), banned patterns (regexes; ones that could backtrack
              badly are refused), prompt injection score. Empty = none.
            </>
          }
        >
          <Textarea
            id="guardrails"
            rows={10}
            disabled={disabled}
            value={guardrailsText}
            onChange={(e) => setGuardrailsText(e.target.value)}
            placeholder={GUARDRAILS_EXAMPLE}
          />
        </Field>
      </section>

      {!disabled ? (
        <section className="flex flex-wrap items-end gap-3">
          <Field label="Change note" htmlFor="note" className="min-w-64 flex-1">
            <Input id="note" value={note} onChange={(e) => setNote(e.target.value)} placeholder="Why this change?" />
          </Field>
          <Button onClick={save} loading={saving}>
            {submitLabel}
          </Button>
        </section>
      ) : null}
      {Object.keys(errors).length ? <ErrorNote error={{ message: Object.values(errors).join("; ") }} /> : null}
      <ErrorNote error={error} />
    </div>
  );
}
