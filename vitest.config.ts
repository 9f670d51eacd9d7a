// One vitest run over every workspace: unit tests next to the code (*.test.ts) and integration tests under
// apps/<app>/test/. Integration tests use the real Postgres and Redis from DATABASE_URL / REDIS_URL, which
// scripts/test.mjs provides (it finds or starts them and migrates the database first).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "apps/*/src/**/*.test.ts", "apps/*/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "apps/dashboard/.next/**", "e2e/**"],
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    env: {
      GATEWAY_SECRET_KEY: process.env.GATEWAY_SECRET_KEY ?? "test-secret-key-0123456789abcdef0123456789abcdef",
    },
  },
});
