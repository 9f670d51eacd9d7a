// Browser tests against the BUILT dashboard (`next start`), a real Postgres and Redis, the real proxy and
// the mock provider (see stack.ts). Run: npx playwright test -c e2e/playwright.config.ts
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, devices } from "@playwright/test";

const here = path.dirname(fileURLToPath(import.meta.url));

// Refuse anything but a local database: the suite writes users and configuration (dub's guard).
const databaseUrl =
  process.env.E2E_DATABASE_URL ?? process.env.DATABASE_URL?.replace(/\/[^/?]+(\?|$)/, "/gateway_e2e$1");
if (!databaseUrl)
  throw new Error(
    "set DATABASE_URL (a local Postgres); the e2e suite uses its own database, gateway_e2e, on that server",
  );
const host = new URL(databaseUrl).hostname;
if (!["localhost", "127.0.0.1", "::1", "[::1]"].includes(host)) {
  throw new Error(`refusing to run e2e tests against a non-local database (${host})`);
}

function freePort(): number {
  const out = execFileSync(process.execPath, [
    "-e",
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ]);
  return Number(out.toString());
}

// Chosen once in the main process; workers inherit them through the environment.
process.env.E2E_DATABASE_URL = databaseUrl;
process.env.E2E_DASHBOARD_PORT ??= String(freePort());
process.env.E2E_PROXY_PORT ??= String(freePort());
process.env.STACK_FILE ??= path.join(here, "artifacts", "stack.json");
const dashboardUrl = `http://127.0.0.1:${process.env.E2E_DASHBOARD_PORT}`;
const proxyUrl = `http://127.0.0.1:${process.env.E2E_PROXY_PORT}`;

const chromium = {
  ...devices["Desktop Chrome"],
  viewport: { width: 1280, height: 860 },
  launchOptions: {
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  },
};

export default defineConfig({
  testDir: here,
  outputDir: path.join(here, "artifacts", "test-results"),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["json", { outputFile: path.join(here, "artifacts", "results.json") }]],
  globalSetup: path.join(here, "global-setup.ts"),
  use: { baseURL: dashboardUrl, trace: "retain-on-failure", screenshot: "only-on-failure" },
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts/, use: chromium },
    { name: "chromium", testMatch: /.*\.spec\.ts/, dependencies: ["setup"], use: chromium },
  ],
  webServer: {
    command: `npm run start -w @gateway/dashboard -- -p ${process.env.E2E_DASHBOARD_PORT} -H 127.0.0.1`,
    cwd: path.join(here, ".."),
    // /sign-in needs no database: Playwright starts web servers before globalSetup creates the e2e one.
    url: `${dashboardUrl}/sign-in`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      ...(process.env as Record<string, string>),
      DATABASE_URL: databaseUrl,
      AUTH_SECRET: process.env.AUTH_SECRET ?? "e2e-auth-secret-0123456789abcdef",
      AUTH_TRUST_HOST: "true",
      GATEWAY_SECRET_KEY: process.env.GATEWAY_SECRET_KEY ?? "test-secret-key-0123456789abcdef0123456789abcdef",
      PROXY_URL: proxyUrl,
      NODE_ENV: "production",
    },
  },
});
