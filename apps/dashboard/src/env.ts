// The dashboard's environment, validated once. Nothing else in the app reads process.env.
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().url(),
  GATEWAY_SECRET_KEY: z.string().min(16, "GATEWAY_SECRET_KEY must be at least 16 characters"),
  AUTH_SECRET: z.string().min(16, "AUTH_SECRET must be at least 16 characters"),
  OIDC_ISSUER: z.string().url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_NAME: z.string().min(1).default("Single sign-on"),
  /** Where applications reach the proxy; shown next to new keys. */
  PROXY_URL: z.string().url().default("http://localhost:4000"),
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
});

export type Env = z.infer<typeof schema>;

// `next build` evaluates route modules to collect page data; the real values only exist at runtime.
const building = process.env.NEXT_PHASE === "phase-production-build";

function load(): Env {
  if (building) {
    return schema.parse({
      DATABASE_URL: "postgresql://build@localhost/build",
      REDIS_URL: "redis://localhost:6379",
      GATEWAY_SECRET_KEY: "build-time-placeholder-secret",
      AUTH_SECRET: "build-time-placeholder-secret",
    });
  }
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid dashboard environment: ${fields}`);
  }
  return parsed.data;
}

export const env: Env = load();
export const oidcEnabled = Boolean(env.OIDC_ISSUER && env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET);
