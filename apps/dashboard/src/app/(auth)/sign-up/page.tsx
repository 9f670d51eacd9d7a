import type { Metadata } from "next";
import Link from "next/link";
import { db } from "~/server/db.ts";
import { AuthCard } from "../auth-card.tsx";
import { SignUpForm } from "./page-client.tsx";

export const metadata: Metadata = { title: "Create account" };
export const dynamic = "force-dynamic";

export default async function SignUpPage({ searchParams }: { searchParams: Promise<{ invite?: string }> }) {
  const { invite } = await searchParams;
  const first = (await db.user.count()) === 0;
  return (
    <AuthCard
      title={first ? "Set up your gateway" : "Join your team"}
      subtitle={
        first
          ? "You are the first user: you will own the first tenant."
          : "Accounts are created from an invitation an admin sends you."
      }
      footer={
        <>
          Have an account?{" "}
          <Link className="font-medium text-zinc-900 underline-offset-4 hover:underline" href="/sign-in">
            Sign in
          </Link>
        </>
      }
    >
      <SignUpForm first={first} invite={invite ?? ""} />
    </AuthCard>
  );
}
