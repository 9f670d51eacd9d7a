import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { providerList } from "~/server/auth/config.ts";
import { auth } from "~/server/auth/index.ts";
import { AuthCard } from "../auth-card.tsx";
import { SignInForm } from "./page-client.tsx";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const session = await auth();
  if (session?.user?.id) redirect("/");
  const { next } = await searchParams;
  return (
    <AuthCard
      title="Sign in to Gateway"
      subtitle="Keys, routes, budgets and costs for every LLM call your company makes."
      footer={
        <>
          First time here?{" "}
          <Link className="font-medium text-zinc-900 underline-offset-4 hover:underline" href="/sign-up">
            Create an account
          </Link>
        </>
      }
    >
      <SignInForm next={next ?? "/"} oidc={providerList.oidc} />
    </AuthCard>
  );
}
