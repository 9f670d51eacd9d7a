// What job processors need, built once per process (or per test) and passed in, never imported as globals.
import type { PrismaClient } from "@gateway/db";
import type { Pool } from "pg";
import type { Queues } from "./queues.ts";

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** One JSON line per event on stdout/stderr. */
export const jsonLogger: Logger = {
  info: (msg, fields) => console.log(JSON.stringify({ level: "info", at: new Date().toISOString(), msg, ...fields })),
  error: (msg, fields) =>
    console.error(JSON.stringify({ level: "error", at: new Date().toISOString(), msg, ...fields })),
};

export interface WorkerDeps {
  /** Heavy SQL (rollups, retention) goes through pg directly. */
  pool: Pool;
  /** Records (alert rules, events, deliveries) and the shared report queries go through Prisma. */
  prisma: PrismaClient;
  queues: Queues;
  log: Logger;
  /** The clock, injectable so tests can evaluate "as of" a moment. */
  now: () => Date;
  rollupLagMs: number;
  partitionAction: "drop" | "detach";
}
