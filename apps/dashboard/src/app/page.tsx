import Link from "next/link";
import { redirect } from "next/navigation";
import { auth } from "~/server/auth/index.ts";
import { db } from "~/server/db.ts";
import { signOutAction } from "./(auth)/actions.ts";

export const dynamic = "force-dynamic";

const FEATURES = [
  {
    title: "One endpoint, scoped keys",
    body: "OpenAI-compatible. Keys per app and environment with routes, limits, expiry and a budget. Secrets shown once.",
  },
  {
    title: "Routes with risk levels",
    body: "Ordered targets, retries, timeouts and validators. Low risk falls back freely; high risk stops and asks a person.",
  },
  {
    title: "Budgets that hold",
    body: "Per tenant, app, key or route. Reserve before, settle after: a burst cannot overspend.",
  },
  {
    title: "Cost per successful result",
    body: "Spend by app, route and model, failed attempts included, divided by what actually worked.",
  },
];

export default async function Home() {
  const session = await auth();
  const userId = session?.user?.id;
  if (userId) {
    const first = await db.membership.findFirst({
      where: { userId },
      include: { tenant: { select: { slug: true } } },
      orderBy: { createdAt: "asc" },
    });
    if (first) redirect(`/t/${first.tenant.slug}`);
    return (
      <main className="grid min-h-dvh place-items-center px-4">
        <div className="max-w-md rounded-2xl border border-zinc-200 bg-white p-6 text-center shadow-sm">
          <h1 className="text-lg font-semibold">You are not in any tenant yet</h1>
          <p className="mt-2 text-sm text-zinc-500">
            Ask an admin of your team for an invitation, then open it from the sign-up page.
          </p>
          <form action={signOutAction} className="mt-4">
            <button className="text-sm font-medium underline underline-offset-4" type="submit">
              Sign out
            </button>
          </form>
        </div>
      </main>
    );
  }
  return (
    <main className="min-h-dvh bg-[radial-gradient(ellipse_at_top,_var(--color-brand-50),_transparent_55%)]">
      <header className="mx-auto flex max-w-5xl items-center justify-between px-5 py-5">
        <span className="flex items-center gap-2 text-sm font-semibold">
          <span className="grid size-7 place-items-center rounded-lg bg-zinc-900 text-xs text-white">gw</span> Gateway
        </span>
        <nav className="flex items-center gap-2 text-sm">
          <Link href="/sign-in" className="rounded-lg px-3 py-1.5 font-medium text-zinc-700 hover:bg-white">
            Sign in
          </Link>
          <Link href="/sign-up" className="rounded-lg bg-zinc-900 px-3 py-1.5 font-medium text-white hover:bg-zinc-800">
            Get started
          </Link>
        </nav>
      </header>
      <section className="mx-auto max-w-5xl px-5 pt-14 pb-10 sm:pt-24">
        <p className="text-sm font-medium text-brand-600">Self-hosted LLM gateway</p>
        <h1 className="mt-3 max-w-3xl text-4xl font-semibold tracking-tight text-balance sm:text-5xl">
          Every LLM call your company makes, on one endpoint you control.
        </h1>
        <p className="mt-5 max-w-2xl text-lg text-zinc-600">
          Platform teams hand out scoped keys. Product owners decide which model answers and what happens when it fails.
          Finance sees what each successful answer really cost.
        </p>
        <div className="mt-8 flex flex-wrap gap-3">
          <Link
            href="/sign-in"
            className="rounded-lg bg-zinc-900 px-4 py-2.5 text-sm font-medium text-white hover:bg-zinc-800"
          >
            Sign in to the dashboard
          </Link>
          <code className="rounded-lg border border-zinc-200 bg-white px-4 py-2.5 font-mono text-sm text-zinc-700">
            base_url = &quot;http://gateway/v1&quot;
          </code>
        </div>
      </section>
      <section className="mx-auto grid max-w-5xl gap-4 px-5 pb-24 sm:grid-cols-2">
        {FEATURES.map((f) => (
          <div key={f.title} className="rounded-xl border border-zinc-200 bg-white p-5 shadow-xs">
            <h2 className="text-sm font-semibold">{f.title}</h2>
            <p className="mt-1.5 text-sm text-zinc-600">{f.body}</p>
          </div>
        ))}
      </section>
    </main>
  );
}
