"use client";
import { useActionState } from "react";
import { Button } from "~/components/ui/button.tsx";
import { Field, Input } from "~/components/ui/form.tsx";
import { signUpAction, type FormState } from "../actions.ts";

export function SignUpForm({ first, invite }: { first: boolean; invite: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(signUpAction, {});
  const e = state.errors ?? {};
  return (
    <form action={action} className="space-y-4" noValidate>
      <Field label="Your name" htmlFor="name" error={e.name}>
        <Input id="name" name="name" autoComplete="name" required />
      </Field>
      <Field label="Work email" htmlFor="email" error={e.email}>
        <Input id="email" name="email" type="email" autoComplete="email" required />
      </Field>
      <Field label="Password" htmlFor="password" error={e.password} hint="At least 10 characters.">
        <Input id="password" name="password" type="password" autoComplete="new-password" required />
      </Field>
      {first ? (
        <Field label="Company or team name" htmlFor="tenantName" error={e.tenantName}>
          <Input id="tenantName" name="tenantName" placeholder="Acme" />
        </Field>
      ) : (
        <Field label="Invitation token" htmlFor="inviteToken" error={e.inviteToken}>
          <Input id="inviteToken" name="inviteToken" defaultValue={invite} required />
        </Field>
      )}
      <Button type="submit" className="w-full" loading={pending}>
        {first ? "Create account and tenant" : "Join"}
      </Button>
    </form>
  );
}
