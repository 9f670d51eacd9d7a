#!/usr/bin/env node
// Generates the Prisma client offline. Prisma's CLI tries to download a schema-engine binary for
// `generate`; pointing it at /bin/false skips that (generation itself needs no engine), and the
// client runs engine-free through @prisma/adapter-pg.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "node_modules", "prisma", "build", "index.js");
if (!existsSync(cli)) {
  console.log("db-generate: prisma CLI not installed yet, skipping");
  process.exit(0);
}
const r = spawnSync(process.execPath, [cli, "generate"], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? "/bin/false",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  },
});
process.exit(r.status ?? 1);
