"use client";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useState, type ReactNode } from "react";
import { signOutAction } from "~/app/(auth)/actions.ts";
import { TRPCReactProvider } from "~/trpc/react.tsx";
import { NAV } from "./nav.ts";
import { TenantProvider, type TenantInfo } from "./tenant-context.tsx";

export function TenantShell({
  tenant,
  tenants,
  user,
  children,
}: {
  tenant: TenantInfo;
  tenants: Array<{ slug: string; name: string; role: string }>;
  user: { email: string; name: string | null };
  children: ReactNode;
}) {
  const pathname = usePathname();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const base = `/t/${tenant.slug}`;
  const sidebar = (
    <nav className="flex h-full flex-col gap-5 overflow-y-auto px-3 py-4" aria-label="Main">
      <div className="px-2">
        <label
          htmlFor="tenant-switcher"
          className="mb-1 block text-[11px] font-medium tracking-wide text-zinc-400 uppercase"
        >
          Tenant
        </label>
        <select
          id="tenant-switcher"
          data-testid="tenant-switcher"
          className="w-full rounded-lg border-0 bg-white py-1.5 pr-8 pl-2.5 text-sm font-medium shadow-xs ring-1 ring-zinc-200"
          value={tenant.slug}
          onChange={(e) => router.push(`/t/${e.target.value}`)}
        >
          {tenants.map((t) => (
            <option key={t.slug} value={t.slug}>
              {t.name} · {t.role}
            </option>
          ))}
        </select>
      </div>
      {NAV.map((group) => {
        const items = group.items.filter((i) => tenant.scopes.includes(i.scope));
        if (!items.length) return null;
        return (
          <div key={group.section}>
            <div className="mb-1 px-2 text-[11px] font-medium tracking-wide text-zinc-400 uppercase">
              {group.section}
            </div>
            <ul className="space-y-0.5">
              {items.map((item) => {
                const href = base + item.href;
                const active = item.href === "" ? pathname === base : pathname.startsWith(href);
                return (
                  <li key={item.href}>
                    <Link
                      href={href}
                      onClick={() => setOpen(false)}
                      aria-current={active ? "page" : undefined}
                      className={`flex items-center gap-2.5 rounded-lg px-2 py-1.5 text-sm ${active ? "bg-white font-medium text-zinc-900 shadow-xs ring-1 ring-zinc-200" : "text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900"}`}
                    >
                      <span className="w-4 text-center text-zinc-400" aria-hidden>
                        {item.icon}
                      </span>
                      {item.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </div>
        );
      })}
      <div className="mt-auto border-t border-zinc-200 px-2 pt-3">
        <div className="truncate text-sm font-medium" data-testid="current-user">
          {user.name ?? user.email}
        </div>
        <div className="truncate text-xs text-zinc-500">
          {user.email} · <span data-testid="current-role">{tenant.role}</span>
        </div>
        <form action={signOutAction} className="mt-2">
          <button type="submit" className="text-xs font-medium text-zinc-600 hover:text-zinc-900">
            Sign out
          </button>
        </form>
      </div>
    </nav>
  );

  return (
    <TenantProvider value={tenant}>
      <TRPCReactProvider>
        <div className="min-h-dvh lg:grid lg:grid-cols-[240px_1fr]">
          <aside className="hidden border-r border-zinc-200 bg-zinc-50 lg:sticky lg:top-0 lg:block lg:h-dvh">
            <div className="flex h-14 items-center gap-2 border-b border-zinc-200 px-5 text-sm font-semibold">
              <span className="grid size-7 place-items-center rounded-lg bg-zinc-900 text-xs text-white">gw</span>{" "}
              Gateway
            </div>
            <div className="h-[calc(100dvh-3.5rem)]">{sidebar}</div>
          </aside>
          <div className="sticky top-0 z-20 flex h-14 items-center justify-between border-b border-zinc-200 bg-white/90 px-4 backdrop-blur lg:hidden">
            <span className="flex items-center gap-2 text-sm font-semibold">
              <span className="grid size-7 place-items-center rounded-lg bg-zinc-900 text-xs text-white">gw</span>{" "}
              {tenant.name}
            </span>
            <button
              type="button"
              className="rounded-lg px-2 py-1 text-sm ring-1 ring-zinc-200"
              onClick={() => setOpen((o) => !o)}
              aria-expanded={open}
              aria-label="Menu"
            >
              ☰
            </button>
          </div>
          {open ? <div className="fixed inset-x-0 top-14 bottom-0 z-10 bg-zinc-50 lg:hidden">{sidebar}</div> : null}
          <main className="min-w-0 px-4 py-6 sm:px-8 sm:py-8">
            <div className="mx-auto max-w-6xl">{children}</div>
          </main>
        </div>
      </TRPCReactProvider>
    </TenantProvider>
  );
}
