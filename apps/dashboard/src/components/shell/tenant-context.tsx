"use client";
import { createContext, useContext, type ReactNode } from "react";
import type { Role, Scope } from "@gateway/policy/scopes";

export interface TenantInfo {
  id: string;
  slug: string;
  name: string;
  role: Role;
  scopes: Scope[];
  proxyUrl: string;
}

const Ctx = createContext<TenantInfo | null>(null);

export function TenantProvider({ value, children }: { value: TenantInfo; children: ReactNode }) {
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/** The tenant the page is in, and what the caller's role may do there (the server checks again). */
export function useTenant() {
  const t = useContext(Ctx);
  if (!t) throw new Error("useTenant outside a tenant layout");
  return { ...t, can: (scope: Scope) => t.scopes.includes(scope), base: `/t/${t.slug}` };
}
