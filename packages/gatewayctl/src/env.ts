// The CLI's environment, validated with zod; nothing else in gatewayctl reads process.env for settings.
import { z } from "zod";

const VARS = {
  DATABASE_URL: z.string().min(1, "DATABASE_URL must be set (postgresql://...)"),
  REDIS_URL: z.string().min(1, "REDIS_URL must be set (redis://...)"),
  GATEWAY_SECRET_KEY: z.string().min(16, "GATEWAY_SECRET_KEY must be set to at least 16 characters"),
} as const;

export type EnvNeed = keyof typeof VARS;

export class EnvError extends Error {
  override readonly name = "EnvError";
}

/** The variables a command needs, or an EnvError naming every one that is missing. */
export function requireEnv(needs: readonly EnvNeed[], env: NodeJS.ProcessEnv = process.env): Partial<Record<EnvNeed, string>> {
  const out: Partial<Record<EnvNeed, string>> = {};
  const problems: string[] = [];
  for (const k of needs) {
    const parsed = VARS[k].safeParse(env[k] ?? "");
    if (parsed.success) out[k] = parsed.data;
    else problems.push(...parsed.error.issues.map((i) => i.message));
  }
  if (problems.length > 0) throw new EnvError(problems.join("\n"));
  return out;
}
