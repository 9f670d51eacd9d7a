// Runs once before every vitest run: makes sure the test database is migrated, so a bare `npx vitest`
// works as well as `npm test` (which migrates too).
import { applyMigrations } from "../packages/db/src/migrate.ts";

export default async function setup(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: run tests through `npm test`, or export the URLs `npm run services` prints");
  if (!process.env.REDIS_URL) throw new Error("REDIS_URL is not set: run tests through `npm test`, or export the URLs `npm run services` prints");
  if (!process.env.GATEWAY_SECRET_KEY) process.env.GATEWAY_SECRET_KEY = "test-secret-key-0123456789abcdef0123456789abcdef";
  await applyMigrations(url);
}
