"use server";
import { AuthError } from "next-auth";
import { signUpSchema } from "~/lib/schemas/tenancy.ts";
import { credentialsSchema } from "~/server/auth/config.ts";
import { signIn, signOut } from "~/server/auth/index.ts";
import { signUp } from "~/server/auth/sign-up.ts";
import { db } from "~/server/db.ts";

export interface FormState {
  errors?: Record<string, string>;
  message?: string;
}

function safeNext(next: FormDataEntryValue | null): string {
  const s = typeof next === "string" ? next : "";
  // Only same-site paths: an open redirect after sign-in is a phishing tool.
  return s.startsWith("/") && !s.startsWith("//") ? s : "/";
}

export async function signInAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = credentialsSchema.safeParse({ email: form.get("email"), password: form.get("password") });
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message;
    return { errors };
  }
  try {
    await signIn("credentials", { ...parsed.data, redirectTo: safeNext(form.get("next")) });
  } catch (err) {
    if (err instanceof AuthError) return { message: "Wrong email or password." };
    throw err; // NEXT_REDIRECT on success travels as an exception.
  }
  return {};
}

export async function signUpAction(_prev: FormState, form: FormData): Promise<FormState> {
  const parsed = signUpSchema.safeParse({
    name: form.get("name"),
    email: form.get("email"),
    password: form.get("password"),
    tenantName: form.get("tenantName") || undefined,
    inviteToken: form.get("inviteToken") || undefined,
  });
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message;
    return { errors };
  }
  const result = await signUp(db, parsed.data);
  if (!result.ok) return { errors: { [result.field]: result.message } };
  await signIn("credentials", {
    email: parsed.data.email,
    password: parsed.data.password,
    redirectTo: `/t/${result.tenantSlug}`,
  });
  return {};
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/sign-in" });
}

export async function oidcSignInAction(): Promise<void> {
  await signIn("oidc", { redirectTo: "/" });
}
