"use client";
// A line diff of two route versions (their specs as pretty JSON), by longest common subsequence.

type Line = { kind: "same" | "add" | "del"; text: string };

export function diffLines(a: string[], b: string[]): Line[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: Line[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ kind: "same", text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ kind: "del", text: a[i++]! });
    else out.push({ kind: "add", text: b[j++]! });
  }
  while (i < n) out.push({ kind: "del", text: a[i++]! });
  while (j < m) out.push({ kind: "add", text: b[j++]! });
  return out;
}

export function SpecDiff({ before, after }: { before: unknown; after: unknown }) {
  const lines = diffLines(JSON.stringify(before, null, 2).split("\n"), JSON.stringify(after, null, 2).split("\n"));
  const changed = lines.some((l) => l.kind !== "same");
  return (
    <pre
      className="max-h-[60dvh] overflow-auto rounded-lg bg-zinc-50 p-3 font-mono text-xs leading-5 ring-1 ring-zinc-200"
      data-testid="spec-diff"
    >
      {!changed ? <span className="text-zinc-500">No differences.</span> : null}
      {lines.map((l, i) => (
        <div
          key={i}
          className={
            l.kind === "add"
              ? "bg-emerald-50 text-emerald-800"
              : l.kind === "del"
                ? "bg-red-50 text-red-700"
                : "text-zinc-600"
          }
        >
          {l.kind === "add" ? "+ " : l.kind === "del" ? "- " : "  "}
          {l.text}
        </div>
      ))}
    </pre>
  );
}
