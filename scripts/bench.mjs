#!/usr/bin/env node
// `npm run bench [-- --quick]`: the gateway overhead benchmark (bench/gateway/run.ts). Not part of npm test.
// The log-rollup benchmark is `npx tsx bench/rollup/run.ts`.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureInstalled } from "./install.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
ensureInstalled();
const r = spawnSync(process.execPath, ["--import", "tsx", "bench/gateway/run.ts", ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
