// The Prisma 7 client, engine-free through @prisma/adapter-pg. One client per process and URL.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export { PrismaClient };
export type * from "./generated/prisma/client.ts";
export { Prisma } from "./generated/prisma/client.ts";
export * as enums from "./generated/prisma/enums.ts";

const clients = new Map<string, PrismaClient>();

export function createPrisma(databaseUrl: string, opts: { max?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: opts.max ?? 10 });
  return new PrismaClient({ adapter });
}

/** A shared client for `databaseUrl` (default DATABASE_URL). */
export function getPrisma(databaseUrl = process.env.DATABASE_URL): PrismaClient {
  if (!databaseUrl) throw new Error("DATABASE_URL is not set");
  let c = clients.get(databaseUrl);
  if (!c) {
    c = createPrisma(databaseUrl);
    clients.set(databaseUrl, c);
  }
  return c;
}
