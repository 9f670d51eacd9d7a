// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL.
import { applyMigrations } from "./migrate.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("db:migrate: DATABASE_URL is not set (npm run services prints one)");
  process.exit(2);
}
const r = await applyMigrations(url, { log: (l) => console.log(`db:migrate: ${l}`) });
console.log(`db:migrate: ${r.applied.length} applied, ${r.alreadyApplied.length} already applied`);
