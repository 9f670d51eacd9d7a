import "server-only";
import { auth } from "../auth/index.ts";
import { db } from "../db.ts";
import { announceConfigChange } from "../redis.ts";
import type { Context } from "./trpc.ts";

export async function createContext(headers: Headers): Promise<Context> {
  const session = await auth();
  const id = session?.user?.id;
  return {
    db,
    headers,
    session: id ? { user: { id, email: session.user?.email ?? null, name: session.user?.name ?? null } } : null,
    announce: announceConfigChange,
  };
}
