// The gatewayctl binary end to end: exit codes, JSON on stdout only, errors on stderr one per line,
// and the keys subcommands, against the real Postgres and Redis.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { hashApiKey } from "@gateway/db";
import { stringify } from "yaml";
import { applyEnv, configListener, exampleConfig, exampleText, testPrisma, uniqueSlug } from "./fixtures.ts";

const BIN = fileURLToPath(new URL("../bin/gatewayctl.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gatewayctl-test-"));
const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

function gatewayctl(args: string[], env: NodeJS.ProcessEnv = applyEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("gatewayctl apply", () => {
  it("prints created keys with their secrets once, then lists them without", async () => {
    const slug = uniqueSlug("cli");
    const file = writeFile(`${slug}.yaml`, exampleText(slug));

    const first = await gatewayctl(["apply", "-f", file]);
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout) as { keys: Array<Record<string, string>>; changes: unknown[] };
    expect(out.keys).toHaveLength(4);
    for (const k of out.keys) {
      expect(Object.keys(k)).toEqual(expect.arrayContaining(["tenant", "app", "env", "name", "secret"]));
      const row = await prisma.apiKey.findFirstOrThrow({ where: { tenant: { slug }, name: k.name, app: { slug: k.app }, environment: { name: k.env } } });
      expect(row.hash).toBe(hashApiKey(k.secret!));
    }

    const second = await gatewayctl(["apply", "-f", file]);
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout) as { keys: Array<Record<string, unknown>>; changes: unknown[] };
    expect(again.changes).toEqual([]);
    expect(again.keys.map((k) => k.secret)).toEqual([undefined, undefined, undefined, undefined]);
    expect(second.stdout).not.toContain("gw_" + String(out.keys[0]!.secret).slice(3));
  });

  it("exits 1 with one `path: message` line per error on stderr and nothing on stdout", async () => {
    const slug = uniqueSlug("cli");
    const config = exampleConfig(slug);
    config.tenants[0].routes[2].risk = "extreme";
    config.tenants[0].routes[0].targets[0].model = "gpt-9";
    const file = writeFile(`${slug}-bad.yaml`, stringify(config));
    const r = await gatewayctl(["apply", "-f", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n").sort()).toEqual([
      "tenants[0].routes[0].targets[0].model: unknown model \"gpt-9\" (declare it under models)",
      "tenants[0].routes[2].risk: expected low|medium|high",
    ]);
    expect(await prisma.tenant.count({ where: { slug } })).toBe(0);
  });

  it("reports YAML syntax errors with their line", async () => {
    const r = await gatewayctl(["validate", "-f", writeFile("syntax.yaml", "tenants:\n  - slug: [oops\n")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\(file\): line \d+/);
  });

  it("exits 2 on usage and environment errors", async () => {
    expect((await gatewayctl(["frobnicate"])).code).toBe(2);
    expect((await gatewayctl(["apply"])).code).toBe(2);
    const { DATABASE_URL: _d, GATEWAY_SECRET_KEY: _s, ...withoutDb } = applyEnv;
    const r = await gatewayctl(["apply", "-f", writeFile("env.yaml", exampleText(uniqueSlug("cli")))], withoutDb);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DATABASE_URL must be set");
    expect(r.stderr).toContain("GATEWAY_SECRET_KEY must be set");
  });

  it("exports what apply accepts", async () => {
    const slug = uniqueSlug("cli");
    expect((await gatewayctl(["apply", "-f", writeFile(`${slug}.yaml`, exampleText(slug))])).code).toBe(0);
    const exported = await gatewayctl(["export", "--tenant", slug]);
    expect(exported.code).toBe(0);
    const reapplied = await gatewayctl(["apply", "-f", writeFile(`${slug}-export.yaml`, exported.stdout)]);
    expect(reapplied.code).toBe(0);
    expect(JSON.parse(reapplied.stdout).changes).toEqual([]);
  });
});

describe("gatewayctl keys", () => {
  it("creates, lists and revokes a key, announcing each change", async () => {
    const slug = uniqueSlug("cli");
    expect((await gatewayctl(["apply", "-f", writeFile(`${slug}.yaml`, exampleText(slug))])).code).toBe(0);
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug } });

    const listener = await configListener();
    const created = await gatewayctl([
      "keys", "create", "--tenant", slug, "--app", "analytics", "--env", "staging", "--name", "batch",
      "--routes", "support-summary", "--rpm", "10", "--expires-at", "2031-01-01T00:00:00Z", "--json",
    ]);
    expect(created.code).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: Record<string, unknown> & { secret: string; prefix: string } };
    expect(key).toMatchObject({ app: "analytics", env: "staging", name: "batch", rpm: 10, allowed_routes: ["support-summary"] });
    expect(key.secret).toMatch(/^gw_/);
    expect(await listener.next(tenant.id)).toMatchObject({ reason: "key.create" });

    const listed = await gatewayctl(["keys", "list", "--tenant", slug, "--app", "analytics", "--json"]);
    const { keys } = JSON.parse(listed.stdout) as { keys: Array<Record<string, unknown>> };
    expect(keys.map((k) => `${k.env}/${k.name}`).sort()).toEqual(["production/default", "staging/batch", "staging/default"]);
    expect(listed.stdout).not.toContain(key.secret);

    const duplicate = await gatewayctl(["keys", "create", "--tenant", slug, "--app", "analytics", "--env", "staging", "--name", "batch"]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain("already exists");

    listener.close();
    const revokeListener = await configListener();
    const revoked = await gatewayctl(["keys", "revoke", "--tenant", slug, "--prefix", key.prefix, "--json"]);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout).key.revoked_at).toEqual(expect.any(String));
    expect(await revokeListener.next(tenant.id)).toMatchObject({ reason: "key.revoke" });
    revokeListener.close();
    const row = await prisma.apiKey.findFirstOrThrow({ where: { tenantId: tenant.id, prefix: key.prefix } });
    expect(row.revokedAt).not.toBeNull();
    const audit = await prisma.auditLog.findMany({ where: { tenantId: tenant.id, action: { in: ["key.create", "key.revoke"] } } });
    expect(audit.map((a) => a.action).sort()).toEqual(["key.create", "key.revoke"]);
    expect(JSON.stringify(audit)).not.toContain(key.secret);

    const active = JSON.parse((await gatewayctl(["keys", "list", "--tenant", slug, "--json"])).stdout) as { keys: unknown[] };
    expect(active.keys).toHaveLength(4);
  });
});
