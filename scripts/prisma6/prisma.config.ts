// Config for Prisma 6.19's WASM schema engine (engine: "js" + a pg driver adapter). Used only to generate and
// check migration SQL offline (scripts/db-check.mjs); the application itself runs on Prisma 7.
import path from "node:path";
import { PrismaPg } from "prisma6-adapter-pg";
import { defineConfig } from "prisma6/config";

const root = path.resolve(import.meta.dirname, "..", "..");

// The 6.19 pg adapter has no mapping for Postgres' `name` type (oid 19), "char" (18) and a few other catalog types, which the schema
// engine's catalog queries return, so describing a database fails with "Column type 'name' could not be
// deserialized". Report those columns as text / text[] — which is what they are to the engine.
const NAME_OIDS: Record<number, number> = { 18: 25, 19: 25, 22: 25, 24: 25, 30: 25, 194: 25, 1002: 1009, 1003: 1009 };
function patchNameType(adapter: object): void {
  let proto: object | null = Object.getPrototypeOf(adapter);
  while (proto && !Object.prototype.hasOwnProperty.call(proto, "performIO")) proto = Object.getPrototypeOf(proto);
  if (!proto || (proto as { __namePatched?: boolean }).__namePatched) return;
  const p = proto as { performIO: (...a: unknown[]) => Promise<{ fields?: { dataTypeID: number }[] } | undefined>; __namePatched?: boolean };
  const original = p.performIO;
  p.performIO = async function (this: unknown, ...args: unknown[]) {
    const result = await original.apply(this, args);
    for (const f of result?.fields ?? []) f.dataTypeID = NAME_OIDS[f.dataTypeID] ?? f.dataTypeID;
    return result;
  };
  p.__namePatched = true;
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(root, "prisma", "schema.prisma"),
  migrations: { path: path.join(root, "prisma", "migrations") },
  adapter: async () => {
    const factory = new PrismaPg({ connectionString: process.env.DATABASE_URL });
    const wrap = <K extends "connect" | "connectToShadowDb">(key: K) => {
      const original = (factory[key] as () => Promise<object>).bind(factory);
      (factory as unknown as Record<string, unknown>)[key] = async () => {
        const a = await original();
        patchNameType(a);
        return a;
      };
    };
    wrap("connect");
    wrap("connectToShadowDb");
    return factory;
  },
});
