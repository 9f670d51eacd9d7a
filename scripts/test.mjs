#!/usr/bin/env node
// `npm test`: installs what is missing, finds or starts Postgres and Redis, migrates the test database and
// runs every suite: the migration/schema agreement check, typecheck, vitest (unit + integration against the
// real Postgres and Redis), and the Playwright end-to-end suite in Debian's Chromium. The last line is
// `N passed, N failed` totalled over all suites.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureInstalled } from "./install.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const only = process.argv.slice(2); // e.g. `npm test -- vitest` runs only that suite (schema, typecheck, lint, vitest, e2e)
const wants = (suite) => only.length === 0 || only.includes(suite);
const results = [];

function record(suite, passed, failed, note = "") {
  results.push({ suite, passed, failed, note });
  console.log(`\n[test] ${suite}: ${passed} passed, ${failed} failed${note ? ` (${note})` : ""}\n`);
}

function run(cmd, args, env, opts = {}) {
  return spawnSync(cmd, args, { cwd: root, stdio: "inherit", env, ...opts });
}

ensureInstalled();

const chromium = "/usr/bin/chromium";
if (!existsSync(chromium) && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get")) {
  console.error("[test] installing Debian's chromium for the end-to-end suite");
  run("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null"], process.env);
}

const { ensureServices } = await import("./services.mjs");
const services = await ensureServices({ purpose: "test" });
const env = {
  ...process.env,
  DATABASE_URL: services.databaseUrl,
  REDIS_URL: services.redisUrl,
  GATEWAY_SECRET_KEY: process.env.GATEWAY_SECRET_KEY ?? "test-secret-key-0123456789abcdef0123456789abcdef",
  AUTH_SECRET: process.env.AUTH_SECRET ?? "test-auth-secret-0123456789abcdef0123456789",
  GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "1",
  NODE_ENV: "test",
};
mkdirSync(path.join(root, ".data"), { recursive: true });

try {
  const migrate = run(process.execPath, ["--import", "tsx", "packages/db/src/migrate-cli.ts"], env);
  if (migrate.status !== 0) throw new Error("migrating the test database failed");

  if (wants("schema")) {
    const r = run(process.execPath, ["scripts/db-check.mjs"], env);
    record("schema (migrations match schema.prisma)", r.status === 0 ? 1 : 0, r.status === 0 ? 0 : 1);
  }

  if (wants("typecheck")) {
    const workspaces = ["packages/policy", "packages/db", "packages/gatewayctl", "apps/mock-provider", "apps/proxy", "apps/worker", "apps/dashboard"];
    let passed = 0;
    let failed = 0;
    for (const ws of workspaces) {
      if (!existsSync(path.join(root, ws, "tsconfig.json"))) continue;
      console.log(`[test] typecheck ${ws}`);
      const r = run(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", ws], env);
      if (r.status === 0) passed++;
      else failed++;
    }
    record("typecheck", passed, failed);
  }

  if (wants("lint")) {
    const r = run(process.execPath, [path.join(root, "node_modules", "eslint", "bin", "eslint.js"), ".", "--max-warnings", "0"], env);
    record("lint (eslint)", r.status === 0 ? 1 : 0, r.status === 0 ? 0 : 1);
  }

  if (wants("vitest")) {
    const out = path.join(root, ".data", "vitest-results.json");
    rmSync(out, { force: true });
    run(process.execPath, [path.join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], env);
    if (existsSync(out)) {
      const j = JSON.parse(readFileSync(out, "utf8"));
      // A file that fails to load counts as a failure even though it reports no tests.
      const brokenFiles = (j.testResults ?? []).filter((f) => f.status === "failed" && (f.assertionResults ?? []).length === 0).length;
      record("vitest", j.numPassedTests, j.numFailedTests + brokenFiles, j.numPendingTests ? `${j.numPendingTests} skipped` : "");
    } else {
      record("vitest", 0, 1, "vitest produced no results");
    }
  }

  if (wants("e2e") && existsSync(path.join(root, "e2e", "playwright.config.ts"))) {
    if (!existsSync(chromium)) {
      record("e2e", 0, 1, `${chromium} missing: apt-get install -y chromium`);
    } else {
      const build = run("npm", ["run", "build", "-w", "@gateway/dashboard"], env);
      if (build.status !== 0) {
        record("e2e", 0, 1, "dashboard build failed");
      } else {
        const out = path.join(root, "e2e", "artifacts", "results.json");
        rmSync(out, { force: true });
        run(process.execPath, [path.join(root, "node_modules", "@playwright", "test", "cli.js"), "test", "-c", "e2e/playwright.config.ts"], env);
        if (existsSync(out)) {
          const s = JSON.parse(readFileSync(out, "utf8")).stats ?? {};
          record("e2e", (s.expected ?? 0) + (s.flaky ?? 0), s.unexpected ?? 0, s.skipped ? `${s.skipped} skipped` : "");
        } else {
          record("e2e", 0, 1, "playwright produced no results");
        }
      }
    }
  }
} finally {
  await services.stop();
}

const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log("\n[test] summary");
for (const r of results) console.log(`  ${r.suite}: ${r.passed} passed, ${r.failed} failed${r.note ? ` (${r.note})` : ""}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
