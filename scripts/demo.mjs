#!/usr/bin/env node
// `npm run demo`: installs what is missing, finds or starts Postgres and Redis, migrates, seeds the demo
// tenant from examples/gateway.yaml, starts the mock provider, proxy, worker and dashboard, sends a little
// traffic so the dashboards have something to show, and prints the URLs, a demo key and a sign-in.
// Ctrl-C stops everything it started.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureInstalled } from "./install.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = path.join(root, ".data");
const log = (l) => console.log(`[demo] ${l}`);

ensureInstalled();
mkdirSync(dataDir, { recursive: true });

// Secrets stay the same across demo runs: key hashes and encrypted credentials depend on them.
const secretsFile = path.join(dataDir, "demo-secrets.json");
if (!existsSync(secretsFile)) {
  writeFileSync(
    secretsFile,
    JSON.stringify({ GATEWAY_SECRET_KEY: randomBytes(32).toString("hex"), AUTH_SECRET: randomBytes(32).toString("hex") }),
    { mode: 0o600 },
  );
}
const secrets = JSON.parse(readFileSync(secretsFile, "utf8"));

const { ensureServices } = await import("./services.mjs");
const services = await ensureServices({ purpose: "demo", log });
const ports = {
  proxy: Number(process.env.GATEWAY_PORT ?? 4000),
  dashboard: Number(process.env.PORT ?? 3000),
  mock: Number(process.env.MOCK_PROVIDER_PORT ?? 4010),
  worker: Number(process.env.WORKER_PORT ?? 4020),
};
const env = {
  ...process.env,
  ...secrets,
  DATABASE_URL: services.databaseUrl,
  REDIS_URL: services.redisUrl,
  GATEWAY_PORT: String(ports.proxy),
  PORT: String(ports.dashboard),
  MOCK_PROVIDER_PORT: String(ports.mock),
  MOCK_PROVIDER_URL: `http://127.0.0.1:${ports.mock}`,
  WORKER_PORT: String(ports.worker),
  PROXY_URL: `http://127.0.0.1:${ports.proxy}`,
  GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "1",
  AUTH_TRUST_HOST: "true",
  NEXT_TELEMETRY_DISABLED: "1",
};

const children = [];
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  log("stopping…");
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 1500));
  await services.stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

function start(name, args, extraEnv = {}) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
  const prefix = (s) =>
    s
      .toString()
      .split("\n")
      .filter(Boolean)
      .map((l) => `[${name}] ${l}`)
      .join("\n");
  child.stdout.on("data", (d) => console.log(prefix(d)));
  child.stderr.on("data", (d) => console.error(prefix(d)));
  child.on("exit", (code) => {
    if (!stopping) {
      console.error(`[demo] ${name} exited with code ${code}; stopping the demo`);
      void shutdown(1);
    }
  });
  children.push(child);
  return child;
}

function runStep(name, args) {
  log(name);
  const r = spawnSync(process.execPath, args, { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) {
    console.error(r.stdout);
    throw new Error(`${name} failed (exit ${r.status})`);
  }
  return r.stdout;
}

async function waitFor(name, url, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${name} did not become ready at ${url} (${last})`);
}

try {
  runStep("migrating the database", ["--import", "tsx", "packages/db/src/migrate-cli.ts"]);
  start("mock-provider", ["--import", "tsx", "apps/mock-provider/src/main.ts"]);
  await waitFor("mock provider", `http://127.0.0.1:${ports.mock}/healthz`, 30_000);
  const seeded = JSON.parse(runStep("seeding the demo tenant from examples/gateway.yaml", ["--import", "tsx", "scripts/demo-seed.ts"]));

  if (!existsSync(path.join(root, "apps", "dashboard", ".next", "BUILD_ID"))) {
    log("building the dashboard (first run only, a few minutes)…");
    const b = spawnSync("npm", ["run", "build", "-w", "@gateway/dashboard"], { cwd: root, env, stdio: "inherit" });
    if (b.status !== 0) throw new Error("dashboard build failed");
  }
  start("proxy", ["--import", "tsx", "apps/proxy/src/main.ts"]);
  start("worker", ["--import", "tsx", "apps/worker/src/main.ts"]);
  start("dashboard", [path.join(root, "node_modules", "next", "dist", "bin", "next"), "start", "apps/dashboard", "-p", String(ports.dashboard), "-H", "127.0.0.1"]);

  await waitFor("proxy", `http://127.0.0.1:${ports.proxy}/readyz`);
  await waitFor("worker", `http://127.0.0.1:${ports.worker}/readyz`);
  await waitFor("dashboard", `http://127.0.0.1:${ports.dashboard}/api/health`);
  console.log(runStep("sending demo traffic through the proxy", ["--import", "tsx", "scripts/demo-traffic.ts", seeded.key]));

  console.log(`
  ┌──────────────────────────────────────────────────────────────────────────┐
    LLM gateway demo is running

    Dashboard   http://127.0.0.1:${ports.dashboard}
                sign in as ${seeded.user.email} / ${seeded.user.password}
                (every persona has that password: ${seeded.personas.join(", ")})
    Proxy       http://127.0.0.1:${ports.proxy}/v1   (OpenAI-compatible)
    Demo key    ${seeded.key}
    Mock LLM    http://127.0.0.1:${ports.mock}   (OpenAI, Anthropic, Gemini formats)
    Worker      http://127.0.0.1:${ports.worker}/readyz

    Try it:
      curl http://127.0.0.1:${ports.proxy}/v1/chat/completions \\
        -H "Authorization: Bearer ${seeded.key}" -H "Content-Type: application/json" \\
        -d '{"model":"support-summary","messages":[{"role":"user","content":"Summarise: my order is late"}]}'

    Ctrl-C stops everything.
  └──────────────────────────────────────────────────────────────────────────┘
`);
} catch (err) {
  console.error(`[demo] ${err.message}`);
  await shutdown(1);
}
