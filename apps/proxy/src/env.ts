// The proxy's environment, parsed once at start; nothing else in the proxy reads process.env.
import { z } from "zod";

const flag = z
  .enum(["0", "1", "true", "false", ""])
  .optional()
  .transform((v) => v === "1" || v === "true");

export const proxyEnvSchema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required"),
  REDIS_URL: z.string().min(1, "REDIS_URL is required"),
  GATEWAY_SECRET_KEY: z.string().min(16, "GATEWAY_SECRET_KEY must be at least 16 characters"),
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  GATEWAY_HOST: z.string().min(1).default("0.0.0.0"),
  /** Lets provider base URLs point at loopback/private addresses (the demo and tests use the local mock). */
  GATEWAY_ALLOW_PRIVATE_UPSTREAMS: flag,
  GATEWAY_JOURNAL_DIR: z.string().min(1).default(".data/journal"),
  /** Safety-net poll of the config tables, in case a pub/sub message was missed. */
  GATEWAY_CONFIG_POLL_MS: z.coerce.number().int().positive().default(5000),
});
export type ProxyEnv = z.infer<typeof proxyEnvSchema>;

export function loadProxyEnv(source: Record<string, string | undefined>): ProxyEnv {
  const parsed = proxyEnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid proxy environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
