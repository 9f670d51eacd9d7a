// Keeps the current ConfigSnapshot fresh: reloads on every message on the config channel (so a revoked
// key stops working within a second in every proxy) and polls a cheap change marker as a safety net for
// missed messages. A message naming a tenant reloads only that tenant; reloads never overlap, and changes
// announced during one are coalesced into the next.
import { CONFIG_CHANNEL, type PrismaClient } from "@gateway/db";
import type { Redis } from "ioredis";
import { z } from "zod";
import { configChangeMarker, loadSnapshot, type ConfigSnapshot, type SnapshotOptions } from "./snapshot.ts";

export interface ConfigStore {
  current(): ConfigSnapshot | null;
  /** Rebuild now: every tenant, or only `tenantId`'s configuration. */
  reload(tenantId?: string | null): Promise<ConfigSnapshot>;
  lastError(): string | null;
  close(): Promise<void>;
}

const changeMessageSchema = z.object({ tenantId: z.string().min(1).nullable().optional() }).loose();

export async function createConfigStore(opts: {
  prisma: PrismaClient;
  subscriber: Redis;
  snapshot: SnapshotOptions;
  pollMs: number;
  onReload?: (s: ConfigSnapshot, scope: "full" | "tenants") => void;
  onError?: (err: unknown) => void;
}): Promise<ConfigStore> {
  let snapshot: ConfigSnapshot | null = null;
  let inFlight: Promise<ConfigSnapshot> | null = null;
  let lastError: string | null = null;
  let closed = false;
  // What the next build must cover: everything, or these tenants.
  let pendingFull = false;
  const pendingTenants = new Set<string>();

  const buildPending = async (): Promise<ConfigSnapshot> => {
    const full = pendingFull || snapshot === null;
    const tenants = [...pendingTenants];
    pendingFull = false;
    pendingTenants.clear();
    const s = full ? await loadSnapshot(opts.prisma, opts.snapshot) : await loadSnapshot(opts.prisma, opts.snapshot, { previous: snapshot!, onlyTenants: tenants });
    snapshot = s;
    lastError = null;
    opts.onReload?.(s, full ? "full" : "tenants");
    return s;
  };

  const reload = (tenantId?: string | null): Promise<ConfigSnapshot> => {
    if (tenantId) pendingTenants.add(tenantId);
    else pendingFull = true;
    // The running build may have read the rows before this change; its loop picks up what is pending.
    if (inFlight) return inFlight;
    inFlight = (async () => {
      try {
        let s = await buildPending();
        while ((pendingFull || pendingTenants.size > 0) && !closed) s = await buildPending();
        return s;
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };

  const reloadInBackground = (tenantId: string | null) => {
    reload(tenantId).catch((err: unknown) => {
      lastError = (err as Error).message;
      opts.onError?.(err);
    });
  };

  await opts.subscriber.subscribe(CONFIG_CHANNEL);
  opts.subscriber.on("message", (channel: string, message: string) => {
    if (channel !== CONFIG_CHANNEL || closed) return;
    let tenantId: string | null = null;
    try {
      tenantId = changeMessageSchema.parse(JSON.parse(message)).tenantId ?? null;
    } catch {
      // An unreadable announcement still says "something changed": reload everything.
      tenantId = null;
    }
    reloadInBackground(tenantId);
  });
  // After a Redis reconnect, messages sent while disconnected are lost: reload everything.
  opts.subscriber.on("ready", () => {
    if (!closed && snapshot) reloadInBackground(null);
  });

  await reload(null);

  const poll = setInterval(() => {
    if (inFlight || closed) return;
    configChangeMarker(opts.prisma).then(
      (marker) => {
        if (snapshot && marker !== snapshot.marker) reloadInBackground(null);
      },
      (err: unknown) => {
        lastError = (err as Error).message;
        opts.onError?.(err);
      },
    );
  }, opts.pollMs);
  poll.unref();

  return {
    current: () => snapshot,
    reload,
    lastError: () => lastError,
    async close() {
      closed = true;
      clearInterval(poll);
      if (inFlight) await inFlight.catch(() => undefined);
    },
  };
}
