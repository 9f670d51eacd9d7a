// Starts the stack (stack.ts: migrate, seed, mock provider, proxy) in a child process and waits until it
// has written the stack file; the returned teardown stops it.
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

export default async function globalSetup(): Promise<() => Promise<void>> {
  const stackFile = process.env.STACK_FILE!;
  rmSync(stackFile, { force: true });
  await createDatabaseIfMissing(process.env.E2E_DATABASE_URL!);
  const child = spawn(
    process.execPath,
    [path.join(here, "..", "node_modules", "tsx", "dist", "cli.mjs"), path.join(here, "stack.ts")],
    {
      cwd: path.join(here, ".."),
      env: {
        ...process.env,
        DATABASE_URL: process.env.E2E_DATABASE_URL,
        GATEWAY_SECRET_KEY: process.env.GATEWAY_SECRET_KEY ?? "test-secret-key-0123456789abcdef0123456789abcdef",
        REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        // The mock provider lives on loopback; real deployments keep this off.
        GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "1",
      },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  let exited: number | null = null;
  child.on("exit", (code) => (exited = code ?? -1));
  const deadline = Date.now() + 120_000;
  while (!existsSync(stackFile)) {
    if (exited !== null) throw new Error(`e2e stack exited with code ${exited} before it was ready`);
    if (Date.now() > deadline) throw new Error("e2e stack did not become ready within 120 s");
    await new Promise((r) => setTimeout(r, 250));
  }
  return async () => {
    if (exited !== null) return;
    const done = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await done;
  };
}

async function createDatabaseIfMissing(url: string): Promise<void> {
  const { default: pg } = await import("pg");
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = "/postgres";
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}
