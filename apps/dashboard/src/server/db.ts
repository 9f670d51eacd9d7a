import "server-only";
import { getPrisma } from "@gateway/db/client";
import { env } from "../env.ts";

export const db = getPrisma(env.DATABASE_URL);
