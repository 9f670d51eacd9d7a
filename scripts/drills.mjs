#!/usr/bin/env node
// `npm run drills [-- --soak-minutes N] [-- --only postgres,redis,upstream,sigterm,soak]`: fault drills
// (bench/drills/run.ts) on a Postgres and Redis of their own. Not part of npm test (the soak alone is 10 min).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureInstalled } from "./install.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
ensureInstalled();
const r = spawnSync(process.execPath, ["--import", "tsx", "bench/drills/run.ts", ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
