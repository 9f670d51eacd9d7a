#!/usr/bin/env node
// Proves prisma/migrations and prisma/schema.prisma agree, offline: Prisma 6.19's WASM schema engine
// (scripts/prisma6/prisma.config.ts) applies every committed migration to a scratch database it creates,
// then diffs the result against schema.prisma. Exit 0 when they agree, 1 with the SQL that would be
// missing when they don't.
//   node scripts/db-check.mjs                 check
//   node scripts/db-check.mjs --create NAME   write the missing SQL as a new migration NAME
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { ensureServices } from "./services.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const createIdx = process.argv.indexOf("--create");
const createName = createIdx > -1 ? process.argv[createIdx + 1] : null;
if (createIdx > -1 && !/^[a-z0-9_]+$/.test(createName ?? "")) {
  console.error("db-check: --create needs a snake_case migration name");
  process.exit(2);
}

const services = await ensureServices({ purpose: "test", log: () => undefined });
const admin = new URL(services.databaseUrl);
const scratchName = `gateway_migcheck_${process.pid}`;
admin.pathname = "/postgres";
const adminClient = new pg.Client({ connectionString: admin.toString() });
await adminClient.connect();
await adminClient.query(`CREATE DATABASE "${scratchName}"`);
const scratch = new URL(services.databaseUrl);
scratch.pathname = `/${scratchName}`;

let exitCode = 0;
try {
  // Prisma 6 insists on a datasource url in the schema; Prisma 7 forbids it. Feed 6 a copy that has one.
  const tmp = mkdtempSync(path.join(os.tmpdir(), "gateway-schema-"));
  const schemaCopy = path.join(tmp, "schema.prisma");
  writeFileSync(
    schemaCopy,
    readFileSync(path.join(root, "prisma", "schema.prisma"), "utf8").replace(
      /datasource db \{\s*provider\s*=\s*"postgresql"/,
      'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")',
    ),
  );
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, "node_modules", "prisma6", "build", "index.js"),
      "migrate",
      "diff",
      "--config",
      path.join(root, "scripts", "prisma6", "prisma.config.ts"),
      "--from-migrations",
      path.join(root, "prisma", "migrations"),
      "--to-schema-datamodel",
      schemaCopy,
      "--script",
      "--exit-code",
    ],
    {
      cwd: root,
      encoding: "utf8",
      env: {
        ...process.env,
        DATABASE_URL: scratch.toString(),
        // The CLI would try to download native engines; the WASM engine needs neither.
        PRISMA_QUERY_ENGINE_LIBRARY: "/bin/false",
        PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false",
        PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: "1",
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
        CHECKPOINT_DISABLE: "1",
      },
    },
  );
  // --exit-code: 0 = no difference, 2 = difference, anything else = the diff itself failed.
  if (r.status === 0) {
    console.log("db-check: migrations and schema.prisma agree");
  } else if (r.status === 2) {
    if (createName) {
      const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
      const dir = path.join(root, "prisma", "migrations", `${stamp}_${createName}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "migration.sql"), r.stdout);
      console.log(`db-check: wrote ${path.relative(root, dir)}/migration.sql`);
    } else {
      console.error("db-check: schema.prisma and prisma/migrations disagree. SQL needed to bring the migrations to the schema:");
      console.error(r.stdout);
      console.error("Write it as a migration with: node scripts/db-check.mjs --create <name>");
      exitCode = 1;
    }
  } else {
    console.error(`db-check: prisma migrate diff failed (exit ${r.status})`);
    console.error(r.stderr || r.stdout);
    exitCode = 1;
  }
} finally {
  await adminClient.query(`DROP DATABASE IF EXISTS "${scratchName}" WITH (FORCE)`);
  await adminClient.end();
  await services.stop();
}
process.exit(exitCode);
