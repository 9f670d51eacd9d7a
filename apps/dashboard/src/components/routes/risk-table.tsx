import { RISK_TABLE } from "~/lib/schemas/routes.ts";
import { Badge } from "~/components/ui/states.tsx";

export const RISK_TONE = { low: "green", medium: "amber", high: "red" } as const;

export function RiskTable({ highlight }: { highlight?: string }) {
  return (
    <table className="w-full text-left text-xs" data-testid="risk-table">
      <thead>
        <tr className="text-zinc-500">
          <th className="py-1.5 pr-3 font-medium">Risk</th>
          <th className="py-1.5 pr-3 font-medium">On timeout, 429, 5xx or invalid output</th>
          <th className="hidden py-1.5 font-medium sm:table-cell">Use it for</th>
        </tr>
      </thead>
      <tbody>
        {RISK_TABLE.map((r) => (
          <tr
            key={r.level}
            className={`border-t border-zinc-100 align-top ${highlight === r.level ? "bg-brand-50/60" : ""}`}
          >
            <td className="py-2 pr-3">
              <Badge tone={RISK_TONE[r.level]}>{r.level}</Badge>
            </td>
            <td className="py-2 pr-3 text-zinc-700">{r.onFailure}</td>
            <td className="hidden py-2 text-zinc-500 sm:table-cell">{r.use}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
