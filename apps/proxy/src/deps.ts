// Everything a request handler needs from the running proxy, built once by startProxy.
import type { PrismaClient } from "@gateway/db";
import type { Rng } from "@gateway/policy/routing";
import type { ConfigStore } from "./config/store.ts";
import type { LastUsedTracker } from "./last-used.ts";
import type { ProxyMetrics } from "./metrics.ts";
import type { BreakerGate } from "./pipeline/attempts.ts";
import type { ProxyCache } from "./pipeline/chat-cache.ts";
import type { RecentRequests } from "./recent-requests.ts";
import type { Admission, AdmissionService, LogSink } from "./ports.ts";

export interface ProxyDeps {
  secretKey: string;
  prisma: PrismaClient;
  config: ConfigStore;
  metrics: ProxyMetrics;
  recent: RecentRequests;
  lastUsed: LastUsedTracker;
  logs: LogSink;
  admission: AdmissionService;
  breakers: BreakerGate;
  rng: Rng;
  /** Response cache (exact in Redis, semantic in Postgres); null when disabled. */
  cache: ProxyCache | null;
}

export type { Admission };
