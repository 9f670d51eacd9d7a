"use client";
import { useActionState } from "react";
import { Button } from "~/components/ui/button.tsx";
import { Field, Input } from "~/components/ui/form.tsx";
import { oidcSignInAction, signInAction, type FormState } from "../actions.ts";

export function SignInForm({ next, oidc }: { next: string; oidc: { id: string; name: string } | null }) {
  const [state, action, pending] = useActionState<FormState, FormData>(signInAction, {});
  return (
    <div className="space-y-4">
      <form action={action} className="space-y-4" noValidate>
        <input type="hidden" name="next" value={next} />
        <Field label="Email" htmlFor="email" error={state.errors?.email}>
          <Input
            id="email"
            name="email"
            type="email"
            autoComplete="email"
            required
            aria-invalid={Boolean(state.errors?.email)}
          />
        </Field>
        <Field label="Password" htmlFor="password" error={state.errors?.password}>
          <Input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            aria-invalid={Boolean(state.errors?.password)}
          />
        </Field>
        {state.message ? (
          <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700">
            {state.message}
          </p>
        ) : null}
        <Button type="submit" className="w-full" loading={pending}>
          Sign in
        </Button>
      </form>
      {oidc ? (
        <form action={oidcSignInAction}>
          <Button type="submit" variant="secondary" className="w-full">
            Continue with {oidc.name}
          </Button>
        </form>
      ) : null}
    </div>
  );
}
