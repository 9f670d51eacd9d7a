"use client";
import type { ReactNode } from "react";
import type { Scope } from "@gateway/policy/scopes";
import { useTenant } from "./tenant-context.tsx";

/** Pages a role cannot use say so plainly instead of showing a broken page (the API refuses regardless). */
export function RequireScope({ scope, children }: { scope: Scope; children: ReactNode }) {
  const t = useTenant();
  if (!t.can(scope)) {
    return (
      <div className="rounded-xl border border-zinc-200 bg-white p-8 text-center" data-testid="no-access">
        <h1 className="text-base font-semibold">You don&apos;t have access to this page</h1>
        <p className="mt-1 text-sm text-zinc-500">
          Your role in {t.name} is <strong>{t.role}</strong>, which lacks the <code>{scope}</code> scope. Ask an owner
          or admin if you need it.
        </p>
      </div>
    );
  }
  return <>{children}</>;
}
