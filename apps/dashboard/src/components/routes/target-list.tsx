"use client";
// Ordered targets: primary first. Reorder by dragging a row or with the arrow buttons (keyboard friendly).
import { useState } from "react";
import type { TargetEntry } from "@gateway/policy/route-spec";
import { Button } from "~/components/ui/button.tsx";
import { Input, Select } from "~/components/ui/form.tsx";

export function TargetList({
  value,
  onChange,
  models,
  disabled,
}: {
  value: TargetEntry[];
  onChange: (v: TargetEntry[]) => void;
  models: string[];
  disabled?: boolean;
}) {
  const [dragging, setDragging] = useState<number | null>(null);
  const move = (from: number, to: number) => {
    if (to < 0 || to >= value.length || from === to) return;
    const next = [...value];
    const [item] = next.splice(from, 1);
    if (item) next.splice(to, 0, item);
    onChange(next);
  };
  return (
    <div className="space-y-2" data-testid="target-list">
      {value.map((entry, i) => (
        <div
          key={i}
          draggable={!disabled}
          onDragStart={() => setDragging(i)}
          onDragOver={(e) => e.preventDefault()}
          onDrop={() => {
            if (dragging !== null) move(dragging, i);
            setDragging(null);
          }}
          className={`flex flex-wrap items-center gap-2 rounded-lg bg-white p-2 ring-1 ring-zinc-200 ${dragging === i ? "opacity-50" : ""}`}
          data-testid={`target-${i}`}
        >
          <span className="cursor-grab px-1 text-zinc-400 select-none" aria-hidden>
            ⋮⋮
          </span>
          <span className="w-20 text-xs font-medium text-zinc-500">{i === 0 ? "primary" : `fallback ${i}`}</span>
          {"balance" in entry ? (
            <span className="flex-1 text-sm">
              balance: {entry.balance.map((b) => `${b.model}${b.weight ? ` ×${b.weight}` : ""}`).join(", ")}
            </span>
          ) : (
            <>
              <Select
                aria-label={`Target ${i + 1} model`}
                className="min-w-40 flex-1"
                disabled={disabled}
                value={entry.model}
                onChange={(e) => onChange(value.map((v, j) => (j === i ? { ...entry, model: e.target.value } : v)))}
              >
                {[...new Set([entry.model, ...models])].map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </Select>
              <span className="text-xs text-zinc-400">temp</span>
              <Input
                aria-label={`Target ${i + 1} temperature`}
                className="w-20"
                placeholder="—"
                disabled={disabled}
                value={entry.params?.temperature ?? ""}
                onChange={(e) => {
                  const temperature = e.target.value === "" ? undefined : Number(e.target.value);
                  const params = { ...entry.params, temperature };
                  if (temperature === undefined) delete params.temperature;
                  onChange(
                    value.map((v, j) =>
                      j === i ? { ...entry, params: Object.keys(params).length ? params : undefined } : v,
                    ),
                  );
                }}
              />
            </>
          )}
          <span className="ml-auto flex gap-1">
            <Button
              size="sm"
              variant="ghost"
              aria-label={`Move target ${i + 1} up`}
              disabled={disabled || i === 0}
              onClick={() => move(i, i - 1)}
            >
              ↑
            </Button>
            <Button
              size="sm"
              variant="ghost"
              aria-label={`Move target ${i + 1} down`}
              disabled={disabled || i === value.length - 1}
              onClick={() => move(i, i + 1)}
            >
              ↓
            </Button>
            <Button
              size="sm"
              variant="ghost"
              aria-label={`Remove target ${i + 1}`}
              disabled={disabled || value.length === 1}
              onClick={() => onChange(value.filter((_, j) => j !== i))}
            >
              ✕
            </Button>
          </span>
        </div>
      ))}
      {!disabled ? (
        <Button
          size="sm"
          variant="secondary"
          onClick={() => onChange([...value, { model: models[0] ?? "" }])}
          disabled={!models.length}
        >
          Add fallback
        </Button>
      ) : null}
    </div>
  );
}
