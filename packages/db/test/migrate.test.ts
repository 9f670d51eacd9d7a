// The migration runner must leave a database that `prisma migrate deploy` accepts: one finished row per
// migration in _prisma_migrations with the file's sha256, and nothing new when applied again.
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, writeFileSync, cpSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, defaultMigrationsDir, MigrationError, readMigrations } from "../src/migrate.ts";

const base = new URL(process.env.DATABASE_URL!);
const dbName = `gateway_migtest_${process.pid}_${Date.now()}`;
const url = new URL(base.toString());
url.pathname = `/${dbName}`;
const adminUrl = new URL(base.toString());
adminUrl.pathname = "/postgres";

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl.toString() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(() => admin(`CREATE DATABASE "${dbName}"`));
afterAll(() => admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));

describe("applyMigrations", () => {
  it("applies every committed migration and records it the way Prisma does", async () => {
    const result = await applyMigrations(url.toString());
    const committed = readMigrations();
    expect(result.applied).toEqual(committed.map((m) => m.name));
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number; id: string }>(
      `SELECT id, migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(rows).toHaveLength(committed.length);
    for (const [i, m] of committed.entries()) {
      const row = rows[i]!;
      expect(row.migration_name).toBe(m.name);
      expect(row.checksum).toBe(createHash("sha256").update(m.sql).digest("hex"));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const tables = await query<{ relname: string; relkind: string }>(
      `SELECT c.relname, c.relkind::text AS relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relname IN ('tenants', 'request_logs', 'rollups_hourly')`,
    );
    expect(Object.fromEntries(tables.map((t) => [t.relname, t.relkind]))).toEqual({
      tenants: "r",
      rollups_hourly: "r",
      request_logs: "p", // partitioned by month
    });
  });

  it("changes nothing when applied twice", async () => {
    const before = await query(`SELECT id, finished_at FROM _prisma_migrations ORDER BY id`);
    const again = await applyMigrations(url.toString());
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied.length).toBe(readMigrations().length);
    expect(await query(`SELECT id, finished_at FROM _prisma_migrations ORDER BY id`)).toEqual(before);
  });

  it("refuses a migration edited after it was applied", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gateway-migs-"));
    cpSync(defaultMigrationsDir, dir, { recursive: true });
    const first = readMigrations(dir)[0]!;
    writeFileSync(path.join(dir, first.name, "migration.sql"), first.sql + "\n-- edited\n");
    await expect(applyMigrations(url.toString(), { dir })).rejects.toBeInstanceOf(MigrationError);
  });

  it("rolls back a failing migration and records nothing for it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gateway-migs-"));
    cpSync(defaultMigrationsDir, dir, { recursive: true });
    mkdirSync(path.join(dir, "29991231000000_broken"));
    writeFileSync(path.join(dir, "29991231000000_broken", "migration.sql"), `CREATE TABLE half_done (id int);\nSELECT no_such_function();\n`);
    await expect(applyMigrations(url.toString(), { dir })).rejects.toThrow(/29991231000000_broken failed/);
    expect(await query(`SELECT to_regclass('public.half_done') AS t`)).toEqual([{ t: null }]);
    expect(await query(`SELECT 1 FROM _prisma_migrations WHERE migration_name = '29991231000000_broken'`)).toEqual([]);
  });

  it("creates monthly request-log partitions and moves default-partition rows into them", async () => {
    await query(`INSERT INTO request_logs (id, created_at, tenant_id, requested_model, status, http_status, latency_ms)
                 VALUES ('req_part_1', '2031-05-10T00:00:00Z', 't1', 'm', 'success', 200, 5)`);
    const created = await query<{ n: number }>(`SELECT gateway_ensure_request_log_partitions('2031-05-01T00:00:00Z', 2) AS n`);
    expect(created[0]!.n).toBe(2);
    const where = await query<{ part: string }>(`SELECT tableoid::regclass::text AS part FROM request_logs WHERE id = 'req_part_1'`);
    expect(where).toEqual([{ part: "request_log_partitions.request_logs_2031_05" }]);
    const again = await query<{ n: number }>(`SELECT gateway_ensure_request_log_partitions('2031-05-01T00:00:00Z', 2) AS n`);
    expect(again[0]!.n).toBe(0);
  });
});
