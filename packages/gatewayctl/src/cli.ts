// gatewayctl: apply / validate / export the gateway's configuration, and one-off key work.
// Exit codes: 0 ok, 1 the file or the request is wrong (errors on stderr, `path: message` per line) or the
// operation failed, 2 usage or environment error. Machine-readable output goes to stdout only.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { Redis } from "ioredis";
import { createPrisma, type PrismaClient } from "@gateway/db";
import { applyConfig, cliActor } from "./apply.ts";
import { exportConfig } from "./export.ts";
import { parseConfigFile, ConfigValidationError } from "./parse.ts";
import { createKey, listKeys, revokeKey, KeyCommandError, type KeyListing } from "./keys.ts";
import { requireEnv, EnvError, type EnvNeed } from "./env.ts";

const USAGE = `Usage:
  gatewayctl apply -f <gateway.yaml> [--dry-run] [--prune]
                                                    create or update everything the file declares;
                                                    --prune also removes what its tenants no longer list
  gatewayctl validate -f <gateway.yaml>             check the file; write nothing
  gatewayctl export [--tenant <slug>] [-o <file>]   the current configuration as YAML
  gatewayctl keys create --tenant <slug> --app <app> --env <env> --name <name>
                   [--routes r1,r2] [--models m1,m2] [--rpm N] [--tpm N] [--expires-at ISO] [--json]
  gatewayctl keys list --tenant <slug> [--app <app>] [--env <env>] [--all] [--json]
  gatewayctl keys revoke --tenant <slug> (--id <id> | --prefix <gw_...> | --app <app> --env <env> --name <name>) [--json]

Environment: DATABASE_URL, REDIS_URL, GATEWAY_SECRET_KEY. -f - reads the file from stdin.
Exit codes: 0 ok, 1 invalid file or failed operation, 2 usage or environment error.`;

class UsageError extends Error {
  override readonly name = "UsageError";
}

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
};

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`gatewayctl: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof EnvError) {
      io.stderr(`gatewayctl: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigValidationError) {
      io.stderr(err.errors.map((e) => `${e}\n`).join(""));
      return 1;
    }
    if (err instanceof KeyCommandError) {
      io.stderr(`gatewayctl: ${err.message}\n`);
      return 1;
    }
    io.stderr(`gatewayctl: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

async function run(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "apply":
      return cmdApply(rest, io);
    case "validate":
      return cmdValidate(rest, io);
    case "export":
      return cmdExport(rest, io);
    case "keys":
      return cmdKeys(rest, io);
    case "help":
    case "--help":
    case "-h":
      io.stdout(`${USAGE}\n`);
      return 0;
    default:
      throw new UsageError(command ? `unknown command "${command}"` : "no command given");
  }
}

function readConfigText(file: string | undefined): string {
  if (!file) throw new UsageError("-f <file> is required");
  return readFileSync(file === "-" ? 0 : file, "utf8");
}

async function withClients<T>(
  needs: readonly EnvNeed[],
  env: NodeJS.ProcessEnv,
  fn: (prisma: PrismaClient, redis: Redis | null) => Promise<T>,
): Promise<T> {
  const e = requireEnv(needs, env);
  const prisma = createPrisma(e.DATABASE_URL!, { max: 2 });
  const redis = e.REDIS_URL
    ? new Redis(e.REDIS_URL, {
        lazyConnect: true,
        maxRetriesPerRequest: 2,
        retryStrategy: (attempt) => (attempt > 3 ? null : 200 * attempt),
      })
    : null;
  // A connection failure surfaces as the failed publish, which the command reports; without a listener
  // ioredis would also print every reconnect attempt as an unhandled error.
  redis?.on("error", () => undefined);
  try {
    return await fn(prisma, redis);
  } finally {
    await prisma.$disconnect();
    if (redis) redis.disconnect();
  }
}

async function cmdApply(args: string[], io: Io): Promise<number> {
  const v = parse(args, { file: { type: "string", short: "f" }, "dry-run": { type: "boolean" }, prune: { type: "boolean" } });
  const text = readConfigText(v.file as string | undefined);
  // Validate before touching the environment's services, so a wrong file fails fast and alone.
  const parsed = parseConfigFile(text, io.env);
  if (!parsed.ok) throw new ConfigValidationError(parsed.errors);
  return withClients(["DATABASE_URL", "REDIS_URL", "GATEWAY_SECRET_KEY"], io.env, async (prisma, redis) => {
    const result = await applyConfig(prisma, redis, parsed.config, {
      actor: cliActor(),
      dryRun: Boolean(v["dry-run"]),
      prune: Boolean(v.prune),
    });
    io.stdout(
      `${JSON.stringify(
        {
          keys: result.keys.map((k) => ({
            tenant: k.tenant,
            app: k.app,
            env: k.env,
            name: k.name,
            prefix: k.prefix,
            ...(k.secret && { secret: k.secret }),
            created: k.created,
            ...(k.revoked && { revoked: true }),
          })),
          changes: result.changes,
          ...(result.dryRun && { dry_run: true }),
        },
        null,
        2,
      )}\n`,
    );
    if (result.publishError) {
      io.stderr(
        `gatewayctl: applied, but announcing the change on Redis failed (${result.publishError}); ` +
          "running proxies will pick it up at their next poll\n",
      );
    }
    return 0;
  });
}

async function cmdValidate(args: string[], io: Io): Promise<number> {
  const v = parse(args, { file: { type: "string", short: "f" } });
  const parsed = parseConfigFile(readConfigText(v.file as string | undefined), io.env);
  if (!parsed.ok) throw new ConfigValidationError(parsed.errors);
  io.stdout(`${JSON.stringify({ ok: true, tenants: parsed.config.file.tenants.map((t) => t.slug) })}\n`);
  return 0;
}

async function cmdExport(args: string[], io: Io): Promise<number> {
  const v = parse(args, { tenant: { type: "string" }, output: { type: "string", short: "o" } });
  return withClients(["DATABASE_URL"], io.env, async (prisma) => {
    const yaml = await exportConfig(prisma, v.tenant ? { tenant: v.tenant as string } : {});
    if (v.output) writeFileSync(v.output as string, yaml);
    else io.stdout(yaml);
    return 0;
  });
}

function list(value: unknown): string[] {
  return typeof value === "string" && value.length > 0 ? value.split(",").map((s) => s.trim()).filter(Boolean) : [];
}

function positiveInt(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${flag}: expected a positive integer`);
  return n;
}

function keyLine(k: KeyListing): string {
  const state = k.revoked_at ? "revoked" : k.expires_at && Date.parse(k.expires_at) < Date.now() ? "expired" : "active";
  return [k.prefix, `${k.app}/${k.env}/${k.name}`, state, k.allowed_routes.join(",") || "*", k.id].join("\t");
}

async function cmdKeys(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const needs = ["DATABASE_URL", "REDIS_URL", "GATEWAY_SECRET_KEY"] as const;
  switch (sub) {
    case "create": {
      const v = parse(rest, {
        tenant: { type: "string" },
        app: { type: "string" },
        env: { type: "string" },
        name: { type: "string" },
        routes: { type: "string" },
        models: { type: "string" },
        rpm: { type: "string" },
        tpm: { type: "string" },
        "expires-at": { type: "string" },
        json: { type: "boolean" },
      });
      for (const f of ["tenant", "app", "env", "name"] as const) if (!v[f]) throw new UsageError(`--${f} is required`);
      const input = {
        tenant: v.tenant as string,
        app: v.app as string,
        env: v.env as string,
        name: v.name as string,
        allowedRoutes: list(v.routes),
        allowedModels: list(v.models),
        rpm: positiveInt("rpm", v.rpm),
        tpm: positiveInt("tpm", v.tpm),
        ...(v["expires-at"] !== undefined && { expiresAt: v["expires-at"] as string }),
      };
      return withClients(needs, io.env, async (prisma, redis) => {
        const { key, secret } = await createKey(prisma, redis, input, cliActor());
        if (v.json) io.stdout(`${JSON.stringify({ key: { ...key, secret } }, null, 2)}\n`);
        else {
          io.stdout(`${secret}\n`);
          io.stderr(`created ${key.app}/${key.env}/${key.name} (${key.prefix}); the secret above is shown once\n`);
        }
        return 0;
      });
    }
    case "list": {
      const v = parse(rest, {
        tenant: { type: "string" },
        app: { type: "string" },
        env: { type: "string" },
        all: { type: "boolean" },
        json: { type: "boolean" },
      });
      if (!v.tenant) throw new UsageError("--tenant is required");
      return withClients(["DATABASE_URL"], io.env, async (prisma) => {
        const keys = await listKeys(prisma, {
          tenant: v.tenant as string,
          ...(v.app !== undefined && { app: v.app as string }),
          ...(v.env !== undefined && { env: v.env as string }),
          includeRevoked: Boolean(v.all),
        });
        if (v.json) io.stdout(`${JSON.stringify({ keys }, null, 2)}\n`);
        else io.stdout(keys.map((k) => `${keyLine(k)}\n`).join(""));
        return 0;
      });
    }
    case "revoke": {
      const v = parse(rest, {
        tenant: { type: "string" },
        id: { type: "string" },
        prefix: { type: "string" },
        app: { type: "string" },
        env: { type: "string" },
        name: { type: "string" },
        json: { type: "boolean" },
      });
      if (!v.tenant) throw new UsageError("--tenant is required");
      const which = { tenant: v.tenant as string } as Parameters<typeof revokeKey>[2];
      for (const f of ["id", "prefix", "app", "env", "name"] as const) if (typeof v[f] === "string") which[f] = v[f] as string;
      return withClients(needs, io.env, async (prisma, redis) => {
        const key = await revokeKey(prisma, redis, which, cliActor());
        if (v.json) io.stdout(`${JSON.stringify({ key }, null, 2)}\n`);
        else io.stdout(`revoked ${keyLine(key)}\n`);
        return 0;
      });
    }
    default:
      throw new UsageError(sub ? `unknown keys command "${sub}"` : "keys: expected create, list or revoke");
  }
}
