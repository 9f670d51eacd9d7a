// Keeps the current ConfigSnapshot fresh: reloads on every message on the config channel (so a revoked
// key stops working within a second in every proxy) and polls a cheap change marker as a safety net for
// missed messages. Reloads never overlap; a change announced during a reload triggers one more.
import { CONFIG_CHANNEL, type PrismaClient } from "@gateway/db";
import type { Redis } from "ioredis";
import { configChangeMarker, loadSnapshot, type ConfigSnapshot, type SnapshotOptions } from "./snapshot.ts";

export interface ConfigStore {
  current(): ConfigSnapshot | null;
  /** Rebuild now (also what the pub/sub listener and the poller call). */
  reload(): Promise<ConfigSnapshot>;
  lastError(): string | null;
  close(): Promise<void>;
}

export async function createConfigStore(opts: {
  prisma: PrismaClient;
  subscriber: Redis;
  snapshot: SnapshotOptions;
  pollMs: number;
  onReload?: (s: ConfigSnapshot) => void;
  onError?: (err: unknown) => void;
}): Promise<ConfigStore> {
  let snapshot: ConfigSnapshot | null = null;
  let inFlight: Promise<ConfigSnapshot> | null = null;
  let again = false;
  let lastError: string | null = null;
  let closed = false;

  const build = async (): Promise<ConfigSnapshot> => {
    const s = await loadSnapshot(opts.prisma, opts.snapshot);
    snapshot = s;
    lastError = null;
    opts.onReload?.(s);
    return s;
  };

  const reload = (): Promise<ConfigSnapshot> => {
    if (inFlight) {
      // A change arrived while building: the running build may have read the old rows, so build once more.
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        let s = await build();
        while (again && !closed) {
          again = false;
          s = await build();
        }
        return s;
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };

  const reloadInBackground = () => {
    reload().catch((err: unknown) => {
      lastError = (err as Error).message;
      opts.onError?.(err);
    });
  };

  await opts.subscriber.subscribe(CONFIG_CHANNEL);
  opts.subscriber.on("message", (channel: string) => {
    if (channel === CONFIG_CHANNEL && !closed) reloadInBackground();
  });
  // After a Redis reconnect messages may have been missed while disconnected.
  opts.subscriber.on("ready", () => {
    if (!closed && snapshot) reloadInBackground();
  });

  await reload();

  const poll = setInterval(() => {
    if (inFlight || closed) return;
    configChangeMarker(opts.prisma).then(
      (marker) => {
        if (snapshot && marker !== snapshot.marker) reloadInBackground();
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
