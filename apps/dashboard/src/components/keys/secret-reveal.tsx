"use client";
import { CopyButton } from "~/components/ui/copy-button.tsx";
import { Button } from "~/components/ui/button.tsx";

/** The one time a key's secret is visible. After this dialog closes only its prefix remains. */
export function SecretReveal({
  secret,
  name,
  proxyUrl,
  onDone,
}: {
  secret: string;
  name: string;
  proxyUrl: string;
  onDone: () => void;
}) {
  return (
    <div className="space-y-4">
      <div className="rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-800">
        Copy the secret for <strong>{name}</strong> now. It is stored only as a hash and will not be shown again.
      </div>
      <div className="flex items-center gap-2">
        <code
          data-testid="new-key-secret"
          className="min-w-0 flex-1 truncate rounded-lg bg-zinc-900 px-3 py-2 font-mono text-sm text-emerald-300"
        >
          {secret}
        </code>
        <CopyButton value={secret} />
      </div>
      <pre className="overflow-x-auto rounded-lg bg-zinc-50 p-3 font-mono text-xs text-zinc-700 ring-1 ring-zinc-200">{`curl ${proxyUrl}/v1/chat/completions \\
  -H "Authorization: Bearer ${secret.slice(0, 11)}…" \\
  -H "Content-Type: application/json" \\
  -d '{"model":"<route>","messages":[{"role":"user","content":"hi"}]}'`}</pre>
      <div className="flex justify-end">
        <Button onClick={onDone}>I&apos;ve copied it</Button>
      </div>
    </div>
  );
}
