// Installs dependencies when they are missing or stale, so both README commands work on a fresh clone.
// "Stale" = package-lock.json changed since the last install we did (hash kept in node_modules/).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function ensureInstalled(log = (l) => console.error(`[install] ${l}`)) {
  const lock = path.join(root, "package-lock.json");
  const marker = path.join(root, "node_modules", ".gateway-lock-hash");
  const hash = existsSync(lock) ? createHash("sha256").update(readFileSync(lock)).digest("hex") : "none";
  const installed = existsSync(path.join(root, "node_modules", ".bin", "vitest"));
  if (installed && existsSync(marker) && readFileSync(marker, "utf8") === hash) return;
  const cmd = existsSync(lock) ? ["ci"] : ["install"];
  log(`running npm ${cmd.join(" ")} (first run, or package-lock.json changed)`);
  const r = spawnSync("npm", [...cmd, "--no-audit", "--no-fund"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`npm ${cmd.join(" ")} failed with exit code ${r.status}`);
  writeFileSync(marker, hash);
}
